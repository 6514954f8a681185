# okta_telephony_8x8_api_key_file: the module's own Authorization header to
# 8x8, the key in no directive (so not in "nginx -T"), the old
# proxy_set_header way still working, and the file's errors.
use Test::Nginx::Socket 'no_plan';
use File::Temp qw(tempdir);

BEGIN { require "./t/lib-okta.pl"; }

our $Key = 'x8K3y.0123456789-abcdefXYZ';
my $dir = tempdir(CLEANUP => 1);
sub put { my ($n, $s) = @_; open my $f, '>', "$dir/$n" or die; print $f $s; close $f; chmod(0600, "$dir/$n"); "$dir/$n" }
$ENV{TEST_NGINX_KEY_FILE}   = put('key', "# 8x8 API key, rotated 2026-11\n  $Key \r\n\n");
$ENV{TEST_NGINX_EMPTY_FILE} = put('empty', "# nothing here\n\n");
$ENV{TEST_NGINX_TWO_FILE}   = put('two', "$Key\nsecond-key-0123456789\n");
$ENV{TEST_NGINX_SPACE_FILE} = put('space', "Bearer $Key\n");
$ENV{TEST_NGINX_MISSING_FILE} = "$dir/does-not-exist";

our $VoiceBody = '{"validUntil":"' . $::Expires . '","clientRequestId":"uS5871kJThSsU8qlA1LTcg","callflow":['
  . '{"action":"makeCall","params":{"source":"+6512341234","destination":"+6598765432"}},'
  . '{"action":"say","params":{"text":"Your verification code is 4, 8, 2, 9, 1, 3.",'
  . '"voiceProfile":"en-US-Jenny","repetition":2,"speed":0.8}},'
  . '{"action":"hangup"}]}';

# What 8x8 receives when the module adds the key itself (compared through
# any_order: which header comes first is nginx's choice).
sub keyed_request {
    my ($json) = @_;
    return "POST /api/v1/subaccounts/acme/callflows HTTP/1.1\r\n"
         . "Host: eightbyeight_voice\r\n"
         . "Content-Length: " . length($json) . "\r\n"
         . "Content-Type: application/json\r\n"
         . "Accept: application/json\r\n"
         . "Authorization: Bearer $Key\r\n"
         . "\r\n"
         . $json;
}

# The README's locations without proxy_set_header Authorization.
our $KeyLoc = $::Loc;
$KeyLoc =~ s/\s*proxy_set_header Authorization "Bearer k3y";//g;
$KeyLoc =~ s/(okta_telephony;)/$1\n        okta_telephony_8x8_api_key_file \$TEST_NGINX_KEY_FILE;/;

our @NoKey = (qr/\Q$Key\E/, @::Private);

no_shuffle();
log_level('info');
run_tests();

# nginx -T prints every included file but not the key file's contents.
{
    my $bin = $ENV{TEST_NGINX_BINARY} || 'nginx';
    my $so = $ENV{TEST_NGINX_LOAD_MODULES};
    mkdir "$dir/logs";
    my $conf = put('nginx.conf', <<"_EOC_");
load_module $so;
error_log $dir/logs/error.log;
pid $dir/nginx.pid;
events {}
http {
    access_log off;
    server {
        listen 127.0.0.1:1;
        okta_telephony_8x8_api_key_file $dir/key;
        location = /hook {
            okta_telephony;
            okta_telephony_secret "$::Secret";
            okta_telephony_voice_location /_8x8/voice;
            okta_telephony_caller_id +6512341234;
        }
        location = /_8x8/voice { internal; return 500; }
    }
}
_EOC_
    my $out = qx{$bin -T -p $dir/ -c $conf 2>&1};
    like($out, qr/test is successful/, 'nginx -T accepts the key file');
    like($out, qr/okta_telephony_8x8_api_key_file \Q$dir\E\/key;/,
         'nginx -T shows the directive');
    unlike($out, qr/\Q$Key\E/, 'nginx -T never shows the key');
}

__DATA__

=== TEST 1: the module sends the key file's key as a Bearer token
--- http_config eval: $::Upstreams
--- config eval: $::KeyLoc
--- request eval
::hook_request($::VoiceHook)
--- more_headers eval
"Authorization: $::Secret"
--- tcp_listen: $TEST_NGINX_RAND_PORT_1
--- tcp_query eval
::any_order(::keyed_request($::VoiceBody))
--- tcp_query_len eval
length(::keyed_request($::VoiceBody))
--- tcp_reply eval
::eight_reply(200, $::VoiceCreated)
--- response_body eval
::okta_action('SUCCESSFUL', '03cc8cac-376b-11ef-a28b-0582ff0039d5')
--- no_error_log eval
[@::NoKey, '[error]']



=== TEST 2: inherited from the server level
--- http_config eval: $::Upstreams
--- config eval
my $loc = $::KeyLoc;
$loc =~ s/\n\s*okta_telephony_8x8_api_key_file [^;]*;//;
"okta_telephony_8x8_api_key_file \$TEST_NGINX_KEY_FILE;\n" . $loc
--- request eval
::hook_request($::VoiceHook)
--- more_headers eval
"Authorization: $::Secret"
--- tcp_listen: $TEST_NGINX_RAND_PORT_1
--- tcp_query eval
::any_order(::keyed_request($::VoiceBody))
--- tcp_query_len eval
length(::keyed_request($::VoiceBody))
--- tcp_reply eval
::eight_reply(200, $::VoiceCreated)
--- response_body eval
::okta_action('SUCCESSFUL', '03cc8cac-376b-11ef-a28b-0582ff0039d5')



=== TEST 3: proxy_set_header Authorization still wins (the old way)
--- http_config eval: $::Upstreams
--- config eval
my $loc = $::Loc;
$loc =~ s/(okta_telephony;)/$1\n        okta_telephony_8x8_api_key_file \$TEST_NGINX_KEY_FILE;/;
$loc
--- request eval
::hook_request($::VoiceHook)
--- more_headers eval
"Authorization: $::Secret"
--- tcp_listen: $TEST_NGINX_RAND_PORT_1
--- tcp_query eval
::any_order(::eight_request('voice', $::VoiceBody))
--- tcp_query_len eval
length(::eight_request('voice', $::VoiceBody))
--- tcp_reply eval
::eight_reply(200, $::VoiceCreated)
--- response_body eval
::okta_action('SUCCESSFUL', '03cc8cac-376b-11ef-a28b-0582ff0039d5')



=== TEST 4: a key file that does not exist
--- config
    okta_telephony_8x8_api_key_file $TEST_NGINX_MISSING_FILE;
--- must_die
--- error_log eval
qr/\[emerg\] .*open\(\) ".*does-not-exist" failed/



=== TEST 5: a key file without a key
--- config
    okta_telephony_8x8_api_key_file $TEST_NGINX_EMPTY_FILE;
--- must_die
--- error_log eval
qr/\[emerg\] .*"okta_telephony_8x8_api_key_file" ".*empty" contains no key/



=== TEST 6: a key file with two keys; the keys are not logged
--- config
    okta_telephony_8x8_api_key_file $TEST_NGINX_TWO_FILE;
--- must_die
--- error_log eval
qr/\[emerg\] .*"okta_telephony_8x8_api_key_file" ".*two" contains more than one key/
--- no_error_log eval
[qr/\Q$::Key\E/, 'second-key']



=== TEST 7: a key with a space ("Bearer " written in the file)
--- config
    okta_telephony_8x8_api_key_file $TEST_NGINX_SPACE_FILE;
--- must_die
--- error_log eval
qr/\[emerg\] .*"okta_telephony_8x8_api_key_file" ".*space" a key is printable ASCII without spaces/
--- no_error_log eval
[qr/\Q$::Key\E/]



=== TEST 8: twice at one level
--- config
    okta_telephony_8x8_api_key_file $TEST_NGINX_KEY_FILE;
    okta_telephony_8x8_api_key_file $TEST_NGINX_KEY_FILE;
--- must_die
--- error_log eval
qr/\[emerg\] .*"okta_telephony_8x8_api_key_file" directive is duplicate/
