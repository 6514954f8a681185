# Okta's clock, async keep-alive, the hook's log level, and header names
# nginx would drop (and log with their value).
use Test::Nginx::Socket 'no_plan';

BEGIN { require "./t/lib-okta.pl"; }

# A keep-alive HTTP/1.1 hook, as Okta sends it.
sub keepalive_hook {
    my ($body, $close) = @_;
    my $head = "POST /hook HTTP/1.1\r\nHost: localhost\r\n"
             . ($close ? "Connection: close\r\n" : "")
             . "Authorization: $::Secret\r\nContent-Type: application/json\r\n"
             . "Content-Length: " . length($body) . "\r\n\r\n";
    return $head . $body;
}

no_shuffle();
log_level('notice');
run_tests();

__DATA__

=== TEST 1: too little of okta_telephony_timeout left once the body is in: FAILED, nothing sent
--- http_config eval: $::Upstreams
--- config eval: ::hook_location(directives => ['okta_telephony_timeout 400ms'])
--- raw_request eval
my $r = ::keepalive_hook($::VoiceHook, 1);
my $cut = index($r, "\r\n\r\n") + 4 + 20;
[substr($r, 0, 40), substr($r, 40, $cut - 40), substr($r, $cut)]
--- raw_request_middle_delay: 0.2
--- timeout: 3
--- response_body eval
::okta_action('FAILED', undef, 'okta_telephony_timeout nearly passed before sending: not sent')
--- error_log eval
qr/\[notice\] .*outcome=FAILED 8x8_status=0 txn=- latency=\d+ms detail=timeout/
--- no_error_log
connect() failed



=== TEST 2: a slow body within the budget is still sent
--- http_config eval: $::StandIn
--- config eval: ::hook_location(directives => ['okta_telephony_timeout 2s'])
--- raw_request eval
my $r = ::keepalive_hook($::VoiceHook, 1);
[substr($r, 0, 40), substr($r, 40)]
--- raw_request_middle_delay: 0.2
--- response_body eval
::okta_action('SUCCESSFUL', 'standin-voice-1')



=== TEST 3: async mode closes a keep-alive connection after PENDING
--- http_config eval: $::StandIn
--- config eval: ::hook_location(directives => ['okta_telephony_mode async'])
--- raw_request eval: ::keepalive_hook($::SmsHook)
--- raw_response_headers_like: Connection: close
--- response_body eval
::okta_action('PENDING', undef, 'delivery started; outcome not confirmed')



=== TEST 4: sync mode keeps it open
--- http_config eval: $::StandIn
--- config eval: $::Loc
--- raw_request eval: ::keepalive_hook($::SmsHook)
--- raw_response_headers_like: Connection: keep-alive
--- response_body eval
::okta_action('SUCCESSFUL', 'standin-sms-1')
--- abort
--- timeout: 0.5



=== TEST 5: the hook's line is at notice by default: absent from an error_log at warn
--- http_config eval: $::StandIn
--- config eval: $::Loc
--- request eval
::hook_request($::SmsHook)
--- more_headers eval
"Authorization: $::Secret"
--- log_level: warn
--- response_body eval
::okta_action('SUCCESSFUL', 'standin-sms-1')
--- no_error_log
okta telephony: event=



=== TEST 6: okta_telephony_log_level warn puts it there
--- http_config eval: $::StandIn
--- config eval: ::hook_location(directives => ['okta_telephony_log_level warn'])
--- request eval
::hook_request($::SmsHook)
--- more_headers eval
"Authorization: $::Secret"
--- log_level: warn
--- response_body eval
::okta_action('SUCCESSFUL', 'standin-sms-1')
--- error_log eval
qr/\[warn\] .*okta telephony: event=cD3871kJThSsU8qlA1LTyy .*outcome=SUCCESSFUL/



=== TEST 7: okta_telephony_log_level info, and a bad value
--- http_config eval: $::StandIn
--- config eval: ::hook_location(directives => ['okta_telephony_log_level debug'])
--- must_die
--- error_log eval
qr/\[emerg\] .*invalid value "debug"/



=== TEST 8: an auth header with "_" nginx would drop: refused at nginx -t, with where
--- http_config eval: $::Upstreams
--- config eval: ::hook_location(directives => ['okta_telephony_auth_header x_okta_key'])
--- must_die
--- error_log eval
qr/\[emerg\] .*"okta_telephony_auth_header" "x_okta_key" in \S+nginx.conf:\d+ contains "_": nginx drops such headers \(and logs their value\) unless "underscores_in_headers on" is set/



=== TEST 9: the same header name with underscores_in_headers on works
--- http_config eval: $::StandIn
--- config eval
"underscores_in_headers on;\n" . ::hook_location(directives => ['okta_telephony_auth_header x_okta_key'])
--- request eval
::hook_request($::SmsHook)
--- more_headers eval
"x_okta_key: $::Secret"
--- response_body eval
::okta_action('SUCCESSFUL', 'standin-sms-1')
--- no_error_log eval
[$::Secret, "invalid header line"]
