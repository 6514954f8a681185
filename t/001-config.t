# Directives: what nginx -t accepts and the errors it gives for bad config.
use Test::Nginx::Socket 'no_plan';
use File::Temp qw(tempdir);

BEGIN { require "./t/lib-okta.pl"; }

my $dir = tempdir(CLEANUP => 1);
sub put { my ($n, $s, $mode) = @_; open my $f, '>', "$dir/$n" or die; print $f $s; close $f; chmod($mode || 0600, "$dir/$n"); "$dir/$n" }
$ENV{TEST_NGINX_SECRETS_FILE} = put('secrets', "# rotated 2026-11\n$::Secret\n\n  $::Secret2  \n");
$ENV{TEST_NGINX_EMPTY_FILE}   = put('empty', "# nothing here\n\n");
$ENV{TEST_NGINX_MISSING_FILE} = "$dir/does-not-exist";

no_shuffle();
log_level('info');
run_tests();

__DATA__

=== TEST 1: okta_telephony without a secret fails closed
--- http_config eval: $::Upstreams
--- config
    location = /hook {
        okta_telephony;
        okta_telephony_voice_location /_8x8/voice;
        okta_telephony_caller_id +6512341234;
    }
--- must_die
--- error_log eval
qr/\[emerg\] .*"okta_telephony" in \S+:\d+ has no "okta_telephony_secret" or "okta_telephony_secret_file"/



=== TEST 2: an empty secret
--- http_config eval: $::Upstreams
--- config
    location = /hook {
        okta_telephony;
        okta_telephony_secret "";
        okta_telephony_voice_location /_8x8/voice;
        okta_telephony_caller_id +6512341234;
    }
--- must_die
--- error_log eval
qr/\[emerg\] .*"okta_telephony_secret" is empty in \S+:\d+/



=== TEST 3: a secret ending with a space
--- http_config eval: $::Upstreams
--- config
    location = /hook {
        okta_telephony;
        okta_telephony_secret "trailing-space-0123456789 ";
        okta_telephony_voice_location /_8x8/voice;
        okta_telephony_caller_id +6512341234;
    }
--- must_die
--- error_log eval
qr/\[emerg\] .*"okta_telephony_secret": a secret cannot start or end with a space: header values are trimmed/



=== TEST 3b: a "Basic <base64>" secret, as Okta's guides suggest, is matched exactly
--- http_config eval: $::StandIn
--- config eval
$::Loc =~ s/okta_telephony_secret "[^"]*";/okta_telephony_secret "Basic YWRtaW46c3VwZXJzZWNyZXQ=";/r
--- request eval
::hook_request($::VoiceHook)
--- more_headers
Authorization: Basic YWRtaW46c3VwZXJzZWNyZXQ=
--- response_body eval
::okta_action('SUCCESSFUL', 'standin-voice-1')



=== TEST 4: a short secret is accepted with a warning
--- http_config eval: $::Upstreams
--- config
    location = /hook {
        okta_telephony;
        okta_telephony_secret "short";
        okta_telephony_sms_location /_8x8/sms;
    }
    location = /_8x8/sms { internal; return 500; }
--- request
GET /hook
--- error_code: 401
--- error_log eval
qr/\[warn\] .*"okta_telephony_secret": a secret shorter than 16 characters is easy to guess/



=== TEST 5: neither a voice nor an SMS location
--- http_config eval: $::Upstreams
--- config eval
qq{
    location = /hook {
        okta_telephony;
        okta_telephony_secret "$::Secret";
    }
}
--- must_die
--- error_log eval
qr/\[emerg\] .*"okta_telephony" in \S+:\d+ has neither "okta_telephony_voice_location" nor "okta_telephony_sms_location"/



=== TEST 6: voice without a caller id
--- http_config eval: $::Upstreams
--- config eval
qq{
    location = /hook {
        okta_telephony;
        okta_telephony_secret "$::Secret";
        okta_telephony_voice_location /_8x8/voice;
    }
}
--- must_die
--- error_log eval
qr/\[emerg\] .*"okta_telephony" in \S+:\d+ sends voice calls but has no "okta_telephony_caller_id"/



=== TEST 7: a caller id that is not E.164
--- http_config eval: $::Upstreams
--- config
    okta_telephony_caller_id 6512341234;
--- must_die
--- error_log eval
qr/\[emerg\] .*"okta_telephony_caller_id" must be a phone number in E.164 form such as "\+6512341234", not "6512341234"/



=== TEST 8: a location that is not a URI
--- http_config eval: $::Upstreams
--- config
    okta_telephony_voice_location http://voice.8x8.com/;
--- must_die
--- error_log eval
qr/\[emerg\] .*"okta_telephony_voice_location" must be a location URI such as "\/_8x8\/voice", not "http:\/\/voice.8x8.com\/"/



=== TEST 9: voice speed out of 8x8's range
--- config
    okta_telephony_voice_speed 2.5;
--- must_die
--- error_log eval
qr/\[emerg\] .*"okta_telephony_voice_speed" must be a number from 0.5 to 2 with at most two decimals, not "2.5"/



=== TEST 10: voice repetition out of 8x8's range
--- config
    okta_telephony_voice_repetition 4;
--- must_die
--- error_log eval
qr/\[emerg\] .*"okta_telephony_voice_repetition" must be 1, 2 or 3, not "4"/



=== TEST 11: a voice language without {code}
--- config
    okta_telephony_voice_language fr fr-FR-DeniseNeural "Votre code";
--- must_die
--- error_log eval
qr/\[emerg\] .*"okta_telephony_voice_language" needs a voice profile and a text with "\{code\}"/



=== TEST 12: a voice language given twice
--- config
    okta_telephony_voice_language fr fr-FR-DeniseNeural "Code {code}";
    okta_telephony_voice_language FR_fr fr-FR-DeniseNeural "Code {code}";
    okta_telephony_voice_language fr fr-FR-DeniseNeural "Code {code}";
--- must_die
--- error_log eval
qr/\[emerg\] .*"okta_telephony_voice_language" for "fr" is duplicate/



=== TEST 13: a bad language tag
--- config
    okta_telephony_default_locale "en US";
--- must_die
--- error_log eval
qr/\[emerg\] .*"okta_telephony_default_locale": invalid language tag "en US"/



=== TEST 14: an SMS template without {code}
--- config
    okta_telephony_sms_template "Your code";
--- must_die
--- error_log eval
qr/\[emerg\] .*"okta_telephony_sms_template" must contain "\{code\}"/



=== TEST 15: a header name that is not a token
--- config
    okta_telephony_auth_header "x telephony";
--- must_die
--- error_log eval
qr/\[emerg\] .*"okta_telephony_auth_header": invalid header name "x telephony"/



=== TEST 16: a default country code that is not one
--- config
    okta_telephony_default_country_code 0044;
--- must_die
--- error_log eval
qr/\[emerg\] .*"okta_telephony_default_country_code" must be a country calling code such as "1" or "44", not "0044"/



=== TEST 17: a zero timeout
--- config
    okta_telephony_timeout 0;
--- must_die
--- error_log eval
qr/\[emerg\] .*"okta_telephony_timeout" must be positive/



=== TEST 18: a timeout Okta cannot wait for is accepted with a warning
--- http_config eval: $::Upstreams
--- config eval
$::Loc . "    okta_telephony_timeout 3s;\n"
--- request
GET /hook
--- error_code: 401
--- error_log eval
qr/\[warn\] .*"okta_telephony_timeout" of 3000 ms leaves Okta no time/



=== TEST 19: body size limits
--- config
    okta_telephony_max_body_size 100;
--- must_die
--- error_log eval
qr/\[emerg\] .*"okta_telephony_max_body_size" must be between 1k and 16m/



=== TEST 20: unknown mode
--- config
    okta_telephony_mode later;
--- must_die
--- error_log eval
qr/\[emerg\] .*invalid value "later"/



=== TEST 21: okta_telephony is a location directive
--- http_config
    okta_telephony;
--- config
--- must_die
--- error_log eval
qr/\[emerg\] .*"okta_telephony" directive is not allowed here/



=== TEST 22: okta_telephony given twice
--- config eval
qq{
    location = /hook {
        okta_telephony;
        okta_telephony;
    }
}
--- must_die
--- error_log eval
qr/\[emerg\] .*"okta_telephony" directive is duplicate/



=== TEST 23: a secret file that does not exist
--- config
    okta_telephony_secret_file $TEST_NGINX_MISSING_FILE;
--- must_die
--- error_log eval
qr/\[emerg\] .*open\(\) ".*does-not-exist" failed/



=== TEST 24: a secret file without a secret
--- config
    okta_telephony_secret_file $TEST_NGINX_EMPTY_FILE;
--- must_die
--- error_log eval
qr/\[emerg\] .*"okta_telephony_secret_file" ".*empty" contains no secret/



=== TEST 25: the first secret of a secret file is accepted
--- http_config eval: $::StandIn
--- config eval
my $loc = $::Loc;
$loc =~ s/okta_telephony_secret "[^"]*";/okta_telephony_secret_file \$TEST_NGINX_SECRETS_FILE;/;
$loc
--- request eval
::hook_request($::VoiceHook)
--- more_headers eval
"Authorization: $::Secret"
--- response_body eval
::okta_action('SUCCESSFUL', 'standin-voice-1')
--- no_error_log eval
[@::Private]



=== TEST 26: the second secret of a secret file is accepted (rotation)
--- http_config eval: $::StandIn
--- config eval
my $loc = $::Loc;
$loc =~ s/okta_telephony_secret "[^"]*";/okta_telephony_secret_file \$TEST_NGINX_SECRETS_FILE;/;
$loc
--- request eval
::hook_request($::VoiceHook)
--- more_headers eval
"Authorization: $::Secret2"
--- response_body eval
::okta_action('SUCCESSFUL', 'standin-voice-1')
--- no_error_log eval
[@::Private]



=== TEST 27: secrets are inherited from the server level
--- http_config eval: $::StandIn
--- config eval
my $loc = $::Loc;
$loc =~ s/okta_telephony_secret "[^"]*";//;
"okta_telephony_secret \"$::Secret\";\n" . $loc
--- request eval
::hook_request($::VoiceHook)
--- more_headers eval
"Authorization: $::Secret"
--- response_body eval
::okta_action('SUCCESSFUL', 'standin-voice-1')
