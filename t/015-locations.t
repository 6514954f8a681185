# nginx -t checks that okta_telephony_voice_location and
# okta_telephony_sms_location land, in the hook's server, in an "internal"
# location other than the hook itself, the way nginx will route the
# subrequest (exact, longest prefix, nested, "^~", regex).
use Test::Nginx::Socket 'no_plan';

BEGIN { require "./t/lib-okta.pl"; }

sub hook {
    my ($more) = @_;
    $more ||= '';
    return <<"_EOC_";
    location = /hook {
        okta_telephony;
        okta_telephony_secret "$::Secret";
        okta_telephony_voice_location /_8x8/voice;
        okta_telephony_sms_location /_8x8/sms;
        okta_telephony_caller_id +6512341234;
$more    }
_EOC_
}

our $Sms = "    location = /_8x8/sms { internal; return 500; }\n";

no_shuffle();
no_root_location();
log_level('info');
run_tests();

__DATA__

=== TEST 1: a voice location that names no location of the server
--- config eval
::hook() . $::Sms
--- must_die
--- error_log eval
qr/\[emerg\] .*"okta_telephony_voice_location" "\/_8x8\/voice" of "okta_telephony" in \S+:\d+ names no location of its server/



=== TEST 2: a mistyped URI that "location /" would serve
--- config eval
::hook() . $::Sms . "    location = /_8x8/voise { internal; return 500; }\n    location / { return 404; }\n"
--- must_die
--- error_log eval
qr/\[emerg\] .*"okta_telephony_voice_location" "\/_8x8\/voice" of "okta_telephony" in \S+:\d+ is served by location "\/", which is not "internal"/



=== TEST 3: an SMS location that is not internal
--- config eval
::hook() . "    location = /_8x8/voice { internal; return 500; }\n    location = /_8x8/sms { return 500; }\n"
--- must_die
--- error_log eval
qr/\[emerg\] .*"okta_telephony_sms_location" "\/_8x8\/sms" of "okta_telephony" in \S+:\d+ is served by location "\/_8x8\/sms", which is not "internal"/



=== TEST 4: the hook's own location
--- config
    location /hook {
        okta_telephony;
        okta_telephony_secret "s3cr3t-0123456789abcdef";
        okta_telephony_sms_location /hook/sms;
    }
--- must_die
--- error_log eval
qr/\[emerg\] .*"okta_telephony_sms_location" "\/hook\/sms" of "okta_telephony" in \S+:\d+ is the hook's own location/



=== TEST 5: set at the server level, checked for the hook that uses it
--- config eval
"    okta_telephony_voice_location /_8x8/phone;\n" . ::hook() =~ s/\s*okta_telephony_voice_location [^;]*;//r . $::Sms
--- must_die
--- error_log eval
qr/\[emerg\] .*"okta_telephony_voice_location" "\/_8x8\/phone" of "okta_telephony" in \S+:\d+ names no location of its server/



=== TEST 6: an internal location of another server does not count
--- http_config
    server {
        listen 127.0.0.1:$TEST_NGINX_RAND_PORT_1;
        location = /_8x8/voice { internal; return 500; }
    }
--- config eval
::hook() . $::Sms
--- must_die
--- error_log eval
qr/\[emerg\] .*"okta_telephony_voice_location" "\/_8x8\/voice" of "okta_telephony" in \S+:\d+ names no location of its server/



=== TEST 7: a regex location that is not internal wins over an internal prefix
--- config eval
::hook() . $::Sms . "    location /_8x8/ { internal; return 500; }\n    location ~ voice\$ { return 500; }\n"
--- must_die
--- error_log eval
qr/\[emerg\] .*"okta_telephony_voice_location" "\/_8x8\/voice" of "okta_telephony" in \S+:\d+ is served by location "voice\$", which is not "internal"/



=== TEST 8: "^~" keeps the regex out; nested and regex internal locations serve
--- http_config eval: $::StandIn
--- config eval
my $loc = ::hook();
$loc =~ s/_location \/_8x8\/sms/_location \/x\/sms/;
$loc . <<'_EOC_'
    location ^~ /_8x8/ {
        internal;
        location /_8x8/voice {
            proxy_pass http://eightbyeight_voice/api/v1/subaccounts/acme/callflows;
        }
    }
    location ~ voice$ { return 500; }
    location ~ ^/x/ {
        internal;
        rewrite ^ /api/v1/subaccounts/acme/messages break;
        proxy_pass http://eightbyeight_sms;
    }
_EOC_
--- pipelined_requests eval
[::hook_request($::VoiceHook), ::hook_request($::SmsHook)]
--- more_headers eval
"Authorization: $::Secret"
--- response_body eval
[::okta_action('SUCCESSFUL', 'standin-voice-1'), ::okta_action('SUCCESSFUL', 'standin-sms-1')]
--- no_error_log
[emerg]
[error]



=== TEST 9: a hook without delivery locations at all is still told first
--- config
    location = /hook {
        okta_telephony;
        okta_telephony_secret "s3cr3t-0123456789abcdef";
    }
--- must_die
--- error_log eval
qr/\[emerg\] .*"okta_telephony" in \S+:\d+ has neither "okta_telephony_voice_location" nor "okta_telephony_sms_location"/
