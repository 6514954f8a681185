# Toll-fraud and abuse controls: limits, number rules, breaker, dedupe.
# Every blocked hook is answered at once and nothing reaches the 8x8
# stand-in, which logs each request it gets to logs/eight.log.
use Test::Nginx::Socket 'no_plan';

BEGIN { require "./t/lib-okta.pl"; }

# The zone, and an 8x8 stand-in (a server of the same nginx) that accepts
# every call and SMS and logs them.
sub http {
    my ($more) = @_;
    my $port = $::StandInPort;
    return "    okta_telephony_zone okta 1m;\n" . ($more // '') . <<"_EOC_";
    log_format eight '\$request_method \$uri';
    upstream eightbyeight_voice { server 127.0.0.1:$port; }
    upstream eightbyeight_sms { server 127.0.0.1:$port; }
    server {
        listen 127.0.0.1:$port;
        default_type application/json;
        access_log logs/eight.log eight;
        location /api/v1/subaccounts/acme/callflows {
            return 200 '{"sessionId":"standin-voice-1","sessionStatus":"CREATED","statusCode":1,"statusMessage":"Created"}';
        }
        location /api/v1/subaccounts/acme/messages {
            return 200 '{"umid":"standin-sms-1","status":{"code":"QUEUED","description":"queued"}}';
        }
    }
_EOC_
}

# The hook location with the given directives, and /eight-log.
sub loc {
    return ::hook_location(directives => [@_]) . <<'_EOC_';
    location = /eight-log {
        alias logs/eight.log;
    }
    location = /error-log {
        alias logs/error.log;
    }
_EOC_
}

# Exact bodies, then a pattern for the error log (GET /error-log last):
# with pipelined requests the runner's error_log check would run after
# each response.
sub then_log {
    my ($log, @bodies) = @_;
    return [(map { qr/^\Q$_\E$/s } @bodies), $log];
}

sub voice_calls { return "POST /api/v1/subaccounts/acme/callflows\n" x $_[0] }
sub sms_sent { return "POST /api/v1/subaccounts/acme/messages\n" x $_[0] }

our $VoiceOk = ::okta_action('SUCCESSFUL', 'standin-voice-1');
our $SmsOk = ::okta_action('SUCCESSFUL', 'standin-sms-1');
sub blocked { return ::okta_action('FAILED', undef, "blocked: $_[0]") }

# A hook with another destination (and eventId, so no two are the same).
sub to {
    my ($hook, $number, $event) = @_;
    my $h = ::with_field($hook, 'phoneNumber', qq{"$number"});
    $h = ::with_field($h, 'eventId', qq{"$event"}) if $event;
    return $h;
}

no_shuffle();
log_level('notice');
run_tests();

__DATA__

=== TEST 1: limit by number: the third hook in the window is blocked, not sent
--- http_config eval: ::http()
--- config eval: ::loc('okta_telephony_limit zone=okta key=number rate=2/10m')
--- pipelined_requests eval
[(::hook_request($::VoiceHook)) x 3, "GET /eight-log", "GET /error-log"]
--- more_headers eval
"Authorization: $::Secret"
--- response_body_like eval
::then_log(qr/\[notice\] .*to=\+65\*{6}32 outcome=blocked 8x8_status=0 txn=- latency=\d+ms detail="limit number 2\/10m"/,
 $::VoiceOk, $::VoiceOk, ::blocked('limit number 2/10m'), ::voice_calls(2))
--- no_error_log eval
["[warn]", "[error]", @::Private]



=== TEST 2: another number has its own count
--- http_config eval: ::http()
--- config eval: ::loc('okta_telephony_limit zone=okta key=number rate=1/1h')
--- pipelined_requests eval
[::hook_request($::VoiceHook), ::hook_request(::to($::VoiceHook, '+6598765433')),
 ::hook_request($::VoiceHook), "GET /eight-log"]
--- more_headers eval
"Authorization: $::Secret"
--- response_body eval
[$::VoiceOk, $::VoiceOk, ::blocked('limit number 1/1h'), ::voice_calls(2)]



=== TEST 3: limit by prefix: numbers that differ only in the last 4 digits share it
--- http_config eval: ::http()
--- config eval: ::loc('okta_telephony_limit zone=okta key=prefix rate=2/1h')
--- pipelined_requests eval
[::hook_request(::to($::VoiceHook, '+6598760001')),
 ::hook_request(::to($::VoiceHook, '+6598760002')),
 ::hook_request(::to($::VoiceHook, '+6598760003')),
 ::hook_request(::to($::VoiceHook, '+6598770003')), "GET /eight-log"]
--- more_headers eval
"Authorization: $::Secret"
--- response_body eval
[$::VoiceOk, $::VoiceOk, ::blocked('limit prefix 2/1h'), $::VoiceOk,
 ::voice_calls(3)]



=== TEST 4: limit "all" counts every hook, voice and SMS; a blocked hook is not counted
--- http_config eval: ::http()
--- config eval
::loc('okta_telephony_limit zone=okta key=all rate=2/1m')
--- pipelined_requests eval
[::hook_request($::VoiceHook), ::hook_request($::SmsHook),
 ::hook_request($::SmsHook), ::hook_request($::VoiceHook), "GET /eight-log"]
--- more_headers eval
"Authorization: $::Secret"
--- response_body eval
[$::VoiceOk, $::SmsOk, ::blocked('limit all 2/1m'), ::blocked('limit all 2/1m'),
 ::voice_calls(1) . ::sms_sent(1)]



=== TEST 5: two limits: one that blocks means neither counts the hook
--- http_config eval: ::http()
--- config eval
::loc('okta_telephony_limit zone=okta key=number rate=1/1h',
    'okta_telephony_limit zone=okta key=all rate=2/1h')
--- pipelined_requests eval
[::hook_request($::VoiceHook), ::hook_request($::VoiceHook),
 ::hook_request(::to($::VoiceHook, '+6598765433')),
 ::hook_request(::to($::VoiceHook, '+6598765434')), "GET /eight-log"]
--- more_headers eval
"Authorization: $::Secret"
--- response_body eval
[$::VoiceOk, ::blocked('limit number 1/1h'), $::VoiceOk,
 ::blocked('limit all 2/1h'), ::voice_calls(2)]



=== TEST 6: dry_run sends everything, logs what it would have blocked, fills $okta_telephony_block
--- http_config eval
::http("    log_format blk 'block=\$okta_telephony_block outcome=\$okta_telephony_outcome';\n")
--- config eval
::loc('okta_telephony_limit zone=okta key=number rate=1/10m dry_run',
      'access_log logs/blk.log blk') . "    location = /blk-log { alias logs/blk.log; }\n"
--- pipelined_requests eval
[::hook_request($::VoiceHook), ::hook_request($::VoiceHook), "GET /eight-log",
 "GET /blk-log", "GET /error-log"]
--- more_headers eval
"Authorization: $::Secret"
--- response_body_like eval
::then_log(qr/\[notice\] .*okta telephony: dry run: "limit number 1\/10m" would have blocked event=uS5871kJThSsU8qlA1LTcg/,
 $::VoiceOk, $::VoiceOk, ::voice_calls(2),
 "block=- outcome=SUCCESSFUL\nblock=dry_run: limit number 1/10m outcome=SUCCESSFUL\n")



=== TEST 7: okta_telephony_blocked_status SUCCESSFUL: transactionId "blocked", not sent
--- http_config eval: ::http()
--- config eval
::loc('okta_telephony_limit zone=okta key=number rate=1/10m',
    'okta_telephony_blocked_status SUCCESSFUL')
--- pipelined_requests eval
[::hook_request($::VoiceHook), ::hook_request($::VoiceHook), "GET /eight-log"]
--- more_headers eval
"Authorization: $::Secret"
--- response_body eval
[$::VoiceOk, ::okta_action('SUCCESSFUL', 'blocked', 'blocked: limit number 1/10m'),
 ::voice_calls(1)]



=== TEST 8: region allow-list: SG allowed, FR and JM blocked
--- http_config eval: ::http()
--- config eval: ::loc('okta_telephony_regions allow SG US')
--- pipelined_requests eval
[::hook_request($::VoiceHook), ::hook_request($::FrHook),
 ::hook_request(::to($::VoiceHook, '+18768765432')), "GET /eight-log"]
--- more_headers eval
"Authorization: $::Secret"
--- response_body eval
[$::VoiceOk, ::blocked('region FR'), ::blocked('region JM'), ::voice_calls(1)]



=== TEST 9: region deny-list, repeated directive adds to it
--- http_config eval: ::http()
--- config eval: ::loc('okta_telephony_regions deny JM', 'okta_telephony_regions deny FR')
--- pipelined_requests eval
[::hook_request($::VoiceHook), ::hook_request($::FrHook),
 ::hook_request(::to($::VoiceHook, '+18768765432')), "GET /eight-log"]
--- more_headers eval
"Authorization: $::Secret"
--- response_body eval
[$::VoiceOk, ::blocked('region FR'), ::blocked('region JM'), ::voice_calls(1)]



=== TEST 10: premium-rate numbers denied (+1 900 is US premium rate)
--- http_config eval: ::http()
--- config eval: ::loc('okta_telephony_number_types deny premium_rate shared_cost')
--- pipelined_requests eval
[::hook_request(::to($::VoiceHook, '+19005551234')), ::hook_request($::VoiceHook),
 "GET /eight-log"]
--- more_headers eval
"Authorization: $::Secret"
--- response_body eval
[::blocked('number type premium_rate'), $::VoiceOk, ::voice_calls(1)]



=== TEST 11: SMS only to mobile types; voice is not concerned
--- http_config eval: ::http()
--- config eval
::loc('okta_telephony_sms_number_types allow mobile')
--- pipelined_requests eval
[::hook_request(::to($::SmsHook, '+6598765432')),
 ::hook_request(::to($::SmsHook, '+6562345678')),
 ::hook_request(::to($::VoiceHook, '+6562345678')), "GET /eight-log"]
--- more_headers eval
"Authorization: $::Secret"
--- response_body eval
[$::SmsOk, ::blocked('sms number type fixed_line'), $::VoiceOk,
 ::sms_sent(1) . ::voice_calls(1)]



=== TEST 12: number_check strict refuses a number libphonenumber finds invalid
--- http_config eval: ::http()
--- config eval: ::loc('okta_telephony_number_check strict')
--- pipelined_requests eval
[::hook_request(::to($::VoiceHook, '+6512')), ::hook_request($::VoiceHook),
 "GET /eight-log"]
--- more_headers eval
"Authorization: $::Secret"
--- response_body_like eval
[qr/^\{"error":\{"errorSummary":"The hook request is invalid","errorCauses":\[\{"errorSummary":"data.messageProfile.phoneNumber [^"]+","reason":"[^"]+","locationType":"body","location":"data.messageProfile.phoneNumber","domain":"end-user"\}\]\}\}$/,
 qr/^\Q$::VoiceOk\E$/, qr/^\Q${\ ::voice_calls(1)}\E$/]



=== TEST 13: a national number is read in okta_telephony_default_region, "00" understood
--- http_config eval: ::http()
--- config eval: ::loc('okta_telephony_default_region GB')
--- pipelined_requests eval
[::hook_request(::to($::VoiceHook, '0065 9876 5432')),
 ::hook_request(::to($::VoiceHook, '07700 900123')), "GET /eight-log", "GET /error-log"]
--- more_headers eval
"Authorization: $::Secret"
--- response_body_like eval
::then_log(qr/(?=[\s\S]*to=\+65\*{6}32 outcome=SUCCESSFUL)(?=[\s\S]*to=\+44\*{8}23 outcome=SUCCESSFUL)/,
 $::VoiceOk, $::VoiceOk, ::voice_calls(2))



=== TEST 14: okta_telephony_default_country_code 44 is GB: "00" is an international prefix
--- http_config eval: ::http()
--- config eval: ::loc('okta_telephony_default_country_code 44')
--- pipelined_requests eval
[::hook_request(::to($::VoiceHook, '0065 9876 5432')), "GET /eight-log", "GET /error-log"]
--- more_headers eval
"Authorization: $::Secret"
--- response_body_like eval
::then_log(qr/to=\+65\*{6}32 outcome=SUCCESSFUL/,
 $::VoiceOk, ::voice_calls(1))



=== TEST 15: dedupe: a replayed eventId gets the same answer, nothing sent again
--- http_config eval: ::http()
--- config eval: ::loc('okta_telephony_dedupe zone=okta time=10m')
--- pipelined_requests eval
[::hook_request($::VoiceHook), ::hook_request($::VoiceHook),
 ::hook_request(::to($::VoiceHook, '+6598765432', 'another-event-1')),
 "GET /eight-log", "GET /error-log"]
--- more_headers eval
"Authorization: $::Secret"
--- response_body_like eval
::then_log(qr/\[notice\] .*outcome=replayed 8x8_status=0 txn=standin-voice-1 latency=\d+ms detail=dedupe/,
 $::VoiceOk, $::VoiceOk, $::VoiceOk, ::voice_calls(2))



=== TEST 16: dedupe keeps a blocked answer too
--- http_config eval: ::http()
--- config eval
::loc('okta_telephony_dedupe zone=okta time=10m',
    'okta_telephony_regions deny SG')
--- pipelined_requests eval
[::hook_request($::VoiceHook), ::hook_request($::VoiceHook), "GET /eight-log"]
--- more_headers eval
"Authorization: $::Secret"
--- response_body eval
[::blocked('region SG'), ::blocked('region SG'), ""]



=== TEST 17: breaker: after 2 failures 8x8 is not asked, Okta gets FAILED at once
--- http_config eval
"    okta_telephony_zone okta 1m;\n"
. "    upstream eightbyeight_voice { server 127.0.0.1:$::EightPort; }\n"
. "    upstream eightbyeight_sms { server 127.0.0.1:$::EightPort; }\n"
--- config eval: ::loc('okta_telephony_breaker zone=okta failures=2 open=1m')
--- pipelined_requests eval
[(::hook_request($::VoiceHook)) x 3, "GET /error-log"]
--- more_headers eval
"Authorization: $::Secret"
--- response_body_like eval
::then_log(qr/(?=[\s\S]*\[warn\] .*okta telephony: 8x8 voice breaker opened)(?=[\s\S]*outcome=blocked 8x8_status=0 txn=- latency=\d+ms detail="8x8 voice breaker open")/,
 (::okta_action('FAILED', undef, '8x8 voice unreachable (HTTP 502 from nginx)')) x 2,
 ::blocked('8x8 voice breaker open'))



=== TEST 18: a 4xx from 8x8 is 8x8's answer, not an outage: the breaker stays closed
--- http_config eval
"    okta_telephony_zone okta 1m;\n"
. "    server { listen 127.0.0.1:$::StandInPort; location / { return 401 '{}'; } }\n"
. "    upstream eightbyeight_voice { server 127.0.0.1:$::StandInPort; }\n"
. "    upstream eightbyeight_sms { server 127.0.0.1:$::StandInPort; }\n"
--- config eval: ::loc('okta_telephony_breaker zone=okta failures=1 open=1m')
--- pipelined_requests eval
[(::hook_request($::VoiceHook)) x 2]
--- more_headers eval
"Authorization: $::Secret"
--- response_body_like eval
[qr/"status":"FAILED"/, qr/"status":"FAILED","provider":"8x8","transactionMetadata":"8x8 voice/]
--- no_error_log
breaker opened



=== TEST 19: nginx -t: a zone no okta_telephony_zone defines
--- http_config eval: $::Upstreams
--- config eval: ::loc('okta_telephony_limit zone=nope key=number rate=3/10m')
--- must_die
--- error_log eval
qr/\[emerg\] .*"okta_telephony_limit" in \S+:\d+ names zone "nope", which no "okta_telephony_zone" defines/



=== TEST 20: nginx -t: a bad rate, named
--- http_config eval: ::http()
--- config eval: ::loc('okta_telephony_limit zone=okta key=number rate=3/10x')
--- must_die
--- error_log eval
qr/\[emerg\] .*"okta_telephony_limit": PERIOD must be digits and a unit: s, m, h or d \(10m\), at "rate=3\/10x" in \S+:\d+/



=== TEST 21: nginx -t: an unknown region
--- http_config eval: ::http()
--- config eval: ::loc('okta_telephony_regions allow US XX')
--- must_die
--- error_log eval
qr/\[emerg\] .*"okta_telephony_regions": unknown region: use ISO 3166 codes \(US, SG\) or 001, at "XX" in \S+:\d+/



=== TEST 22: nginx -t: an unknown number type
--- http_config eval: ::http()
--- config eval: ::loc('okta_telephony_number_types deny premium')
--- must_die
--- error_log eval
qr/\[emerg\] .*"okta_telephony_number_types": unknown number type: .*, at "premium" in \S+:\d+/



=== TEST 23: nginx -t: allow with deny in one location
--- http_config eval: ::http()
--- config eval: ::loc('okta_telephony_regions allow US', 'okta_telephony_regions deny JM')
--- must_die
--- error_log eval
qr/\[emerg\] .*"okta_telephony_regions": allow and deny cannot be mixed in one location/



=== TEST 24: nginx -t: a zone defined twice, a zone too small, a bad size
--- http_config eval
"    okta_telephony_zone okta 1m;\n    okta_telephony_zone okta 1m;\n" . $::Upstreams
--- config eval: ::loc()
--- must_die
--- error_log eval
qr/\[emerg\] .*"okta_telephony_zone" "okta" is duplicate in \S+:\d+/



=== TEST 25: nginx -t: a zone too small
--- http_config eval
"    okta_telephony_zone okta 4k;\n" . $::Upstreams
--- config eval: ::loc()
--- must_die
--- error_log eval
qr/\[emerg\] .*"okta_telephony_zone" "okta" is too small: at least 32k in \S+:\d+/



=== TEST 26: nginx -t: breaker and dedupe arguments
--- http_config eval: ::http()
--- config eval: ::loc('okta_telephony_breaker zone=okta failures=0 open=30s')
--- must_die
--- error_log eval
qr/\[emerg\] .*"okta_telephony_breaker": failures= must be a number from 1 to 1000, at "failures=0" in \S+:\d+/



=== TEST 27: nginx -t: a default region libphonenumber does not know
--- http_config eval: ::http()
--- config eval: ::loc('okta_telephony_default_region XX')
--- must_die
--- error_log eval
qr/\[emerg\] .*"okta_telephony_default_region" must be a region libphonenumber knows, as an ISO 3166 code such as "SG", not "XX" in \S+:\d+/



=== TEST 28: inherited from the server level; a location's own list replaces it
--- http_config eval: ::http()
--- config eval
"    okta_telephony_regions deny SG;\n" . ::loc() . <<'_EOC_'
    location = /hook2 {
        okta_telephony;
        okta_telephony_secret "s3cr3t-0123456789abcdef";
        okta_telephony_voice_location /_8x8/voice;
        okta_telephony_caller_id +6512341234;
        okta_telephony_regions deny FR;
    }
_EOC_
--- pipelined_requests eval
[::hook_request($::VoiceHook), "POST /hook2\n$::VoiceHook", "GET /eight-log"]
--- more_headers eval
"Authorization: $::Secret"
--- response_body eval
[::blocked('region SG'), $::VoiceOk, ::voice_calls(1)]



=== TEST 29: the same national text in two default regions, twice each: the worker's classification memory keeps them apart
--- http_config eval: ::http()
--- config eval
::loc('okta_telephony_default_region GB', 'okta_telephony_regions allow FR')
. <<'_EOC_'
    location = /hook-fr {
        okta_telephony;
        okta_telephony_secret "s3cr3t-0123456789abcdef";
        okta_telephony_voice_location /_8x8/voice;
        okta_telephony_caller_id +6512341234;
        okta_telephony_default_region FR;
        okta_telephony_regions allow FR;
    }
_EOC_
--- pipelined_requests eval
my $h = ::to($::VoiceHook, '0612345678');
[::hook_request($h), "POST /hook-fr\n$h", ::hook_request($h),
 "POST /hook-fr\n$h", "GET /eight-log"]
--- more_headers eval
"Authorization: $::Secret"
--- response_body eval
[::blocked('region unknown'), $::VoiceOk, ::blocked('region unknown'),
 $::VoiceOk,
 ::voice_calls(2)]
