/*  =========================================================================
    web_assets.h - the chat page, embedded in the gateway at build time

    scripts/web-assets.sh turns every file of web/ into a row of
    web_asset_table (a generated C file in the build directory), so the
    gateway serves the page it was built with and reads no files at run
    time. The HTTP stage looks a request's path up here.
    =========================================================================
*/
#ifndef WEB_ASSETS_H_INCLUDED
#define WEB_ASSETS_H_INCLUDED

#include <stddef.h>

typedef struct {
    const char *path;               //  URL path, "/app.js"
    const char *content_type;       //  "text/javascript; charset=utf-8"
    const unsigned char *data;      //  the file's bytes, not terminated
    size_t size;
} web_asset_t;

//  The asset served at path (the path alone, without a query string), or
//  NULL. "/" is the page itself, /index.html.
const web_asset_t *
    web_asset_find (const char *path);

//  The generated table behind web_asset_find, one row per file of web/.
extern const web_asset_t web_asset_table [];
extern const size_t web_asset_table_size;

#endif
