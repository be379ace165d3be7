/*  =========================================================================
    web_assets_standin.c - a one-file page until the real web/ assets land

    TODO(issue 11): the page branch generates web_assets.c from web/
    (scripts/web-assets.sh); this stand-in, with the same API
    (web_assets.h), only lets the HTTP stage be built and tested first.
    Delete it when that lands.
    =========================================================================
*/
#include "web_assets.h"
#include <string.h>

#define WEB_STANDIN_PAGE \
    "<!doctype html><html><head><meta charset=\"utf-8\"><title>zchat</title>" \
    "<script src=\"/app.js\"></script></head><body><p>zchat</p></body></html>\n"
#define WEB_STANDIN_SCRIPT "'use strict';\n"

const web_asset_t web_asset_table [] = {
    { "/index.html", "text/html; charset=utf-8", (const unsigned char *) WEB_STANDIN_PAGE,
      sizeof (WEB_STANDIN_PAGE) - 1 },
    { "/app.js", "text/javascript; charset=utf-8", (const unsigned char *) WEB_STANDIN_SCRIPT,
      sizeof (WEB_STANDIN_SCRIPT) - 1 },
};
const size_t web_asset_table_size = sizeof (web_asset_table) / sizeof (web_asset_table [0]);

const web_asset_t *
web_asset_find (const char *path)
{
    if (!path)
        return NULL;
    if (strcmp (path, "/") == 0)
        path = "/index.html";
    for (size_t index = 0; index < web_asset_table_size; index++)
        if (strcmp (web_asset_table [index].path, path) == 0)
            return &web_asset_table [index];
    return NULL;
}
