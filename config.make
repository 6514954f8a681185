# Sourced by nginx's auto/make after objs/Makefile is written: per-object
# flags for the module's C++ sources. `override` keeps them when CFLAGS is
# given on make's command line.

okta_telephony_yajl_cflags=`pkg-config --cflags yajl 2>/dev/null`

cat << END                                                >> $NGX_MAKEFILE

# ngx_http_okta_telephony_module: the core is C++17, hidden visibility

END

for okta_src in $okta_telephony_core_srcs; do
    okta_obj="$NGX_OBJS/addon/core/`basename $okta_src .cpp`.o"
    cat << END                                            >> $NGX_MAKEFILE
$okta_obj: override CFLAGS += -std=c++17 -fvisibility=hidden \
	-fvisibility-inlines-hidden -Wshadow $okta_telephony_yajl_cflags
END
done

# OKTA_TELEPHONY_GLUE_CFLAGS (make's command line): extra flags for the
# glue's objects only, e.g. a force-included header for a sanitizer build
for okta_src in $okta_telephony_glue_srcs; do
    okta_obj="$NGX_OBJS/addon/ngx/`basename $okta_src .cpp`.o"
    cat << END                                            >> $NGX_MAKEFILE
$okta_obj: override CFLAGS += \$(OKTA_TELEPHONY_GLUE_CFLAGS)
END
done

cat << END                                                >> $NGX_MAKEFILE
$NGX_OBJS/addon/ngx/ngx_http_okta_telephony_module.o: override CFLAGS += \
	-DNGX_HTTP_OKTA_TELEPHONY_VERSION='"$okta_telephony_version"' \
	-DNGX_HTTP_OKTA_TELEPHONY_REVISION='"$OKTA_TELEPHONY_REVISION"'

END
