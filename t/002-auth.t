# Okta's secret: exact bytes, constant-time, fail closed, never logged.
# The 8x8 upstream has no listener here: any request that reached it
# would log "connect() failed".
use Test::Nginx::Socket 'no_plan';

BEGIN { require "./t/lib-okta.pl"; }

no_shuffle();
log_level('info');
run_tests();

__DATA__

=== TEST 1: no secret header
--- http_config eval: $::Upstreams
--- config eval: $::Loc
--- request eval
::hook_request($::VoiceHook)
--- error_code: 401
--- response_headers
Content-Type: application/json
--- response_body chomp
{"error":{"errorSummary":"authentication required"}}
--- error_log
request without a valid "authorization" header refused
--- no_error_log eval
["connect() failed", @::Private]



=== TEST 2: a wrong secret
--- http_config eval: $::Upstreams
--- config eval: $::Loc
--- request eval
::hook_request($::VoiceHook)
--- more_headers
Authorization: s3cr3t-0123456789abcdeX
--- error_code: 401
--- response_body chomp
{"error":{"errorSummary":"authentication required"}}
--- no_error_log eval
["connect() failed", "s3cr3t-0123456789abcdeX", @::Private]



=== TEST 3: the secret with a Bearer prefix is not the secret
--- http_config eval: $::Upstreams
--- config eval: $::Loc
--- request eval
::hook_request($::VoiceHook)
--- more_headers eval
"Authorization: Bearer $::Secret"
--- error_code: 401
--- no_error_log eval
["connect() failed", @::Private]



=== TEST 4: a prefix of the secret
--- http_config eval: $::Upstreams
--- config eval: $::Loc
--- request eval
::hook_request($::VoiceHook)
--- more_headers eval
"Authorization: " . substr($::Secret, 0, length($::Secret) - 1)
--- error_code: 401
--- no_error_log
connect() failed



=== TEST 5: the secret with one more byte
--- http_config eval: $::Upstreams
--- config eval: $::Loc
--- request eval
::hook_request($::VoiceHook)
--- more_headers eval
"Authorization: " . $::Secret . "0"
--- error_code: 401
--- no_error_log
connect() failed



=== TEST 6: the secret in another case
--- http_config eval: $::Upstreams
--- config eval: $::Loc
--- request eval
::hook_request($::VoiceHook)
--- more_headers eval
"Authorization: " . uc($::Secret)
--- error_code: 401
--- no_error_log
connect() failed



=== TEST 7: the header given twice, one of them right
--- http_config eval: $::Upstreams
--- config eval
$::Loc =~ s/okta_telephony;/okta_telephony;\n        okta_telephony_auth_header X-Telephony-Key;/r
--- request eval
::hook_request($::VoiceHook)
--- more_headers eval
"X-Telephony-Key: $::Secret\nX-Telephony-Key: wrong"
--- error_code: 401
--- no_error_log
connect() failed



=== TEST 8: a custom header name, matched case-insensitively
--- http_config eval: $::StandIn
--- config eval
$::Loc =~ s/okta_telephony;/okta_telephony;\n        okta_telephony_auth_header X-Telephony-Key;/r
--- request eval
::hook_request($::VoiceHook)
--- more_headers eval
"x-telephony-key: $::Secret"
--- error_code: 200
--- response_body eval
::okta_action('SUCCESSFUL', 'standin-voice-1')
--- no_error_log eval
[@::Private]



=== TEST 9: with a custom header, the secret in Authorization is refused
--- http_config eval: $::Upstreams
--- config eval
$::Loc =~ s/okta_telephony;/okta_telephony;\n        okta_telephony_auth_header X-Telephony-Key;/r
--- request eval
::hook_request($::VoiceHook)
--- more_headers eval
"Authorization: $::Secret"
--- error_code: 401
--- error_log
request without a valid "x-telephony-key" header refused
--- no_error_log
connect() failed



=== TEST 10: two secrets configured (rotation): the new one works
--- http_config eval: $::StandIn
--- config eval
$::Loc =~ s/okta_telephony;/okta_telephony;\n        okta_telephony_secret "$::Secret2";/r
--- request eval
::hook_request($::VoiceHook)
--- more_headers eval
"Authorization: $::Secret2"
--- response_body eval
::okta_action('SUCCESSFUL', 'standin-voice-1')



=== TEST 11: two secrets configured (rotation): the old one still works
--- http_config eval: $::StandIn
--- config eval
$::Loc =~ s/okta_telephony;/okta_telephony;\n        okta_telephony_secret "$::Secret2";/r
--- request eval
::hook_request($::VoiceHook)
--- more_headers eval
"Authorization: $::Secret"
--- response_body eval
::okta_action('SUCCESSFUL', 'standin-voice-1')



=== TEST 12: an empty header
--- http_config eval: $::Upstreams
--- config eval: $::Loc
--- request eval
::hook_request($::VoiceHook)
--- more_headers
Authorization:
--- error_code: 401
--- no_error_log
connect() failed



=== TEST 13: a GET without the secret is refused before anything else
--- http_config eval: $::Upstreams
--- config eval: $::Loc
--- request
GET /hook
--- error_code: 401



=== TEST 14: a GET with the secret: only POST
--- http_config eval: $::Upstreams
--- config eval: $::Loc
--- request
GET /hook
--- more_headers eval
"Authorization: $::Secret"
--- error_code: 405
--- response_headers
Allow: POST
Content-Type: application/json
--- response_body chomp
{"error":{"errorSummary":"only POST is allowed"}}
--- no_error_log
connect() failed
