/*
 * The one place nginx's C headers enter the C++ glue.
 */

#ifndef NGX_OKTA_TELEPHONY_NGINX_H
#define NGX_OKTA_TELEPHONY_NGINX_H

extern "C" {
#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>
}

#endif
