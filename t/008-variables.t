# The $okta_telephony_* variables, e.g. for an access_log format: outcome,
# event_id, transaction_id, channel, detail, 8x8_status, 8x8_time, region.
use Test::Nginx::Socket 'no_plan';

BEGIN { require "./t/lib-okta.pl"; }

our $Headers = <<'_EOC_';
    add_header X-Outcome $okta_telephony_outcome always;
    add_header X-Event $okta_telephony_event_id always;
    add_header X-Txn $okta_telephony_transaction_id always;
_EOC_

our $More = <<'_EOC_';
    add_header X-Channel $okta_telephony_channel always;
    add_header X-Detail $okta_telephony_detail always;
    add_header X-8x8-Status $okta_telephony_8x8_status always;
    add_header X-8x8-Time $okta_telephony_8x8_time always;
    add_header X-Region $okta_telephony_region always;
_EOC_

no_shuffle();
log_level('info');
run_tests();

__DATA__

=== TEST 1: an accepted hook
--- http_config eval: $::StandIn
--- config eval: $::Headers . $::Loc
--- request eval
::hook_request($::VoiceHook)
--- more_headers eval
"Authorization: $::Secret"
--- response_headers
X-Outcome: SUCCESSFUL
X-Event: uS5871kJThSsU8qlA1LTcg
X-Txn: standin-voice-1



=== TEST 2: a hook that fails validation
--- http_config eval: $::Upstreams
--- config eval: $::Headers . $::Loc
--- request eval
::hook_request(::with_field($::VoiceHook, 'otpCode', '"x"'))
--- more_headers eval
"Authorization: $::Secret"
--- response_headers
X-Outcome: invalid
!X-Event
!X-Txn



=== TEST 3: an unauthenticated request has no outcome
--- http_config eval: $::Upstreams
--- config eval: $::Headers . $::Loc
--- request eval
::hook_request($::VoiceHook)
--- error_code: 401
--- response_headers
!X-Outcome
!X-Event



=== TEST 4: usable in an access_log format
--- http_config eval
$::StandIn . q{
    log_format okta '$okta_telephony_event_id $okta_telephony_outcome $okta_telephony_transaction_id $status';
}
--- config eval
"access_log logs/okta.log okta;\n" . $::Loc . q{
    location = /read-log {
        alias logs/okta.log;
    }
}
--- pipelined_requests eval
[::hook_request($::SmsHook), "GET /read-log"]
--- more_headers eval
"Authorization: $::Secret"
--- response_body eval
[::okta_action('SUCCESSFUL', 'standin-sms-1'), "cD3871kJThSsU8qlA1LTyy SUCCESSFUL standin-sms-1 200\n"]



=== TEST 5: an accepted voice hook: channel, 8x8's status and time, region
--- http_config eval: $::StandIn
--- config eval: $::More . $::Loc
--- request eval
::hook_request($::VoiceHook)
--- more_headers eval
"Authorization: $::Secret"
--- response_headers_like
X-Channel: voice
!X-Detail
X-8x8-Status: 200
X-8x8-Time: \d+
X-Region: SG



=== TEST 6: 8x8 refuses an SMS: its status and error code
--- http_config eval: $::Upstreams
--- config eval: $::More . $::Loc
--- request eval
::hook_request($::SmsHook)
--- more_headers eval
"Authorization: $::Secret"
--- tcp_listen: $TEST_NGINX_RAND_PORT_1
--- tcp_reply eval
::eight_reply(400, $::Sms1002)
--- response_headers_like
X-Channel: sms
X-Detail: 1002
X-8x8-Status: 400
X-8x8-Time: \d+
X-Region: US



=== TEST 7: 8x8 never answers: a time (at least the 300 ms timeout, no upper bound), no status
--- http_config eval: $::Upstreams
--- config eval: $::More . ::hook_location(directives => ['okta_telephony_timeout 300ms'])
--- request eval
::hook_request($::VoiceHook)
--- more_headers eval
"Authorization: $::Secret"
--- tcp_listen: $TEST_NGINX_RAND_PORT_1
--- tcp_reply_delay: 2s
--- tcp_reply eval
::eight_reply(200, $::VoiceCreated)
--- timeout: 3
--- response_headers_like
X-Channel: voice
X-Detail: timeout
!X-8x8-Status
X-8x8-Time: (?:29\d|[3-9]\d\d|\d{4,})
X-Region: SG



=== TEST 8: a hook that fails validation: no channel, nothing from 8x8
--- http_config eval: $::Upstreams
--- config eval: $::More . $::Loc
--- request eval
::hook_request(::with_field($::VoiceHook, 'otpCode', '"x"'))
--- more_headers eval
"Authorization: $::Secret"
--- response_headers
!X-Channel
!X-8x8-Status
!X-8x8-Time
!X-Region



=== TEST 9: a preview: its detail, nothing sent
--- http_config eval: $::Upstreams
--- config eval: $::More . $::Headers . $::Loc
--- request eval
::hook_request($::PreviewHook)
--- more_headers eval
"Authorization: $::Secret"
--- response_headers
X-Outcome: preview
X-Detail: not-sent
!X-8x8-Status
!X-8x8-Time



=== TEST 10: the region a rule found is the one given
--- http_config eval: $::StandIn
--- config eval
$::More . $::Headers . ::hook_location(directives => ['okta_telephony_regions allow FR US'])
--- request eval
::hook_request($::FrHook)
--- more_headers eval
"Authorization: $::Secret"
--- response_headers
X-Outcome: SUCCESSFUL
X-Region: FR



=== TEST 11: the new variables in an access_log format, without any rule
--- http_config eval
$::StandIn . q{
    log_format okta '$okta_telephony_channel $okta_telephony_region $okta_telephony_8x8_status $okta_telephony_detail $okta_telephony_outcome';
}
--- config eval
"access_log logs/okta.log okta;\n" . $::Loc . q{
    location = /read-log {
        alias logs/okta.log;
    }
}
--- pipelined_requests eval
[::hook_request($::SmsHook), "GET /read-log"]
--- more_headers eval
"Authorization: $::Secret"
--- response_body eval
[::okta_action('SUCCESSFUL', 'standin-sms-1'), "sms US 200 - SUCCESSFUL\n"]
--- no_error_log
[error]
