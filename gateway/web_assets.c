/*  =========================================================================
    web_assets.c - look a URL path up in the embedded page

    The table is small (a handful of files), so a linear scan is the
    whole lookup; the path is compared as given, so "/../x" or "//app.js"
    simply match nothing.
    =========================================================================
*/
#include <string.h>
#include "web_assets.h"

#define WEB_ASSETS_INDEX "/index.html"

const web_asset_t *
web_asset_find (const char *path)
{
    if (!path)
        return NULL;
    if (strcmp (path, "/") == 0)
        path = WEB_ASSETS_INDEX;
    for (size_t index = 0; index < web_asset_table_size; index++)
        if (strcmp (web_asset_table [index].path, path) == 0)
            return &web_asset_table [index];
    return NULL;
}
