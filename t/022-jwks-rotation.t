# Fetched keys over time, counted at the keys endpoint: Okta rotates its
# signing key (a new kid appears, the old one disappears), and a burst of
# tokens with an unknown kid, over 2 workers, makes at most one refetch.
# The stand-in serves the JWKS from a file that PUT (nginx's dav module)
# replaces between hooks, and logs every fetch it serves; /metrics shows
# the keys held, the fetches and the failures.
# the stand-in needs nginx's dav module (Debian's nginx has it; an nginx
# built from source has it with --with-http_dav_module, as the version
# matrix builds it)
BEGIN {
    my $bin = $ENV{TEST_NGINX_BINARY} || 'nginx';
    if (`$bin -V 2>&1` !~ /--with-http_dav_module/) {
        require Test::More;
        Test::More::plan(skip_all => "$bin has no dav module (PUT)");
    }
}
use Test::Nginx::Socket 'no_plan';

BEGIN { require "./t/lib-okta.pl"; require "./t/lib-jwt.pl"; }

our $K1 = ::make_key('k1');
our $K2 = ::make_key('k2');
our $K3 = ::make_key('k3');          # never published
our $Tok1 = ::token($K1, ::claims());
our $Tok1b = ::token($K1, ::claims());  # another token of the old key
our $Tok2 = ::token($K2, ::claims());
our @Unknown = map { ::token($K3, ::claims()) } 1 .. 6;

our $Http = "    okta_telephony_zone okta 1m;\n"
    . "    log_format fetches '\$request_method \$status';\n" . $::StandIn;
$Http =~ s{(default_type application/json;)}{$1
        location = /oauth2/v1/keys {
            access_log logs/keys.log fetches;
            add_header Cache-Control "max-age=600";
            alias html/jwks.json;
        }
        location = /rotate {
            access_log off;
            alias html/jwks.json;
            dav_methods PUT;
        }
        location = /fetches {
            access_log off;
            alias logs/keys.log;
        }};

our $Config = ::hook_location(directives => [
        'okta_telephony_auth jwt',
        "okta_telephony_jwt_issuer $::Issuer",
        "okta_telephony_jwt_audience $::Audience",
        "okta_telephony_jwt_client_id $::ClientId",
        "okta_telephony_jwt_scope $::Scope",
        'okta_telephony_jwks_location /_okta/keys',
        'okta_telephony_jwks_zone okta']) . <<'_EOC_';
    location = /_okta/keys {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_2/oauth2/v1/keys;
    }
    location = /rotate {
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_2/rotate;
    }
    location = /fetches {
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_2/fetches;
    }
    location = /metrics {
        okta_telephony_metrics okta;
    }
_EOC_

our $Ok = ::okta_action('SUCCESSFUL', 'standin-voice-1');
our $Refused = '{"error":{"errorSummary":"authentication required"}}';

sub hook { return ::hook_request($::VoiceHook) }

no_shuffle();
master_on();
workers(2);
log_level('notice');
run_tests();

__DATA__

=== TEST 1: Okta rotates its key: the new kid is fetched once, the old kid is gone
--- http_config eval: $::Http
--- config eval: $::Config
--- user_files eval
">>> jwks.json\n" . ::jwks($::K1)
--- request eval
[::hook(), "PUT /rotate\n" . ::jwks($::K2), ::hook(), ::hook(), ::hook(),
 "GET /fetches", "GET /metrics"]
--- more_headers eval
["Authorization: Bearer $::Tok1", "", "Authorization: Bearer $::Tok2",
 "Authorization: Bearer $::Tok2", "Authorization: Bearer $::Tok1b", "", ""]
--- error_code eval
[200, 204, 200, 200, 401, 200, 200]
--- response_body_like eval
[qr/^\Q$::Ok\E$/, qr/^$/, qr/^\Q$::Ok\E$/, qr/^\Q$::Ok\E$/,
 qr/^\Q$::Refused\E$/, qr/^GET 200\nGET 200\n$/,
 qr/^okta_telephony_jwks_keys\{zone="okta"\} 1\n.*^okta_telephony_jwks_age_seconds\{zone="okta"\} [0-5]\n.*^okta_telephony_jwks_fetches_total\{zone="okta"\} 2\n.*^okta_telephony_jwks_fetch_failures_total\{zone="okta"\} 0\n/ms]
--- no_error_log
[alert]



=== TEST 2: a burst of tokens with an unknown kid over 2 workers: the first fetch and one refetch, no more
--- http_config eval: $::Http
--- config eval: $::Config
--- user_files eval
">>> jwks.json\n" . ::jwks($::K1)
--- request eval
[(map { ::hook() } @::Unknown), ::hook(), "GET /fetches"]
--- more_headers eval
[(map { "Authorization: Bearer $_" } @::Unknown), "Authorization: Bearer $::Tok1", ""]
--- error_code eval
[401, 401, 401, 401, 401, 401, 200, 200]
--- response_body eval
[$::Refused, $::Refused, $::Refused, $::Refused, $::Refused, $::Refused,
 $::Ok, "GET 200\nGET 200\n"]
--- no_error_log
[alert]



=== TEST 3: the keys endpoint fails after the first fetch: the keys already fetched stay in use
--- http_config eval: $::Http
--- config eval: $::Config
--- user_files eval
">>> jwks.json\n" . ::jwks($::K1)
--- request eval
[::hook(), "PUT /rotate\n{\"keys\":[", ::hook(), ::hook(), "GET /fetches",
 "GET /metrics"]
--- more_headers eval
["Authorization: Bearer $::Tok1", "", "Authorization: Bearer $::Tok2",
 "Authorization: Bearer $::Tok1b", "", ""]
--- error_code eval
[200, 204, 401, 200, 200, 200]
--- response_body_like eval
[qr/^\Q$::Ok\E$/, qr/^$/, qr/^\Q$::Refused\E$/, qr/^\Q$::Ok\E$/,
 qr/^GET 200\nGET 200\n$/,
 qr/^okta_telephony_jwks_keys\{zone="okta"\} 1\n.*^okta_telephony_jwks_fetches_total\{zone="okta"\} 2\n.*^okta_telephony_jwks_fetch_failures_total\{zone="okta"\} 1\n/ms]
