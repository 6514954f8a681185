# Shared fixtures for the t/*.t files: sample hooks, the module's locations
# and helpers that build what the 8x8 stand-in expects and answers.
# Loaded with `require "./t/lib-okta.pl"`; everything lives in main.

use strict;
use warnings;

our $SamplesDir = $ENV{TEST_NGINX_SAMPLES} || 'tests/samples';
our $Secret     = 's3cr3t-0123456789abcdef';
our $Secret2    = 'n3xt-s3cr3t-fedcba9876543210';

# The samples' codes expire at a fixed time, long past: the hooks sent
# here expire an hour from now instead (a code expired beyond the clocks'
# skew is not sent), and what 8x8 is expected to get says so too.
sub iso_time {
    my @t = gmtime($_[0]);
    return sprintf('%04d-%02d-%02dT%02d:%02d:%02d.000Z', $t[5] + 1900,
                   $t[4] + 1, @t[3, 2, 1, 0]);
}
our $SampleExpires = '2026-11-28T10:05:00.000Z';
our $Expires = iso_time(time() + 3600);

sub slurp {
    my ($name) = @_;
    open my $fh, '<:raw', "$SamplesDir/$name" or die "$SamplesDir/$name: $!";
    local $/;
    my $s = <$fh>;
    close $fh;
    $s =~ s/\Q$SampleExpires\E/$Expires/g if $name !~ /^8x8-/;
    return $s;
}

our $VoiceHook   = slurp('voice-mfa-verification.json');
our $SmsHook     = slurp('sms-password-reset.json');
our $FrHook      = slurp('voice-pre-enrollment-fr.json');
our $LegacyHook  = slurp('voice-account-unlock-legacy-call.json');
our $PreviewHook = slurp('preview-sms.json');

our $VoiceCreated  = slurp('8x8-voice-created.json');
our $Voice1017     = slurp('8x8-voice-error-1017.json');
our $Voice401      = slurp('8x8-voice-error-401.json');
our $SmsQueued     = slurp('8x8-sms-queued.json');
our $SmsRejected   = slurp('8x8-sms-rejected.json');
our $Sms1002       = slurp('8x8-sms-error-1002.json');

# The 8x8 stand-in listens here (tcp_listen) or, for blocks that need more
# than one 8x8 request, as a server block of the same nginx ($StandIn).
# No fixed port: the runner gives each block free ports for these names
# (Test::Nginx's $TEST_NGINX_RAND_PORT_N, in config and tcp_listen alike).
our $EightPort = '$TEST_NGINX_RAND_PORT_1';
our $StandInPort = '$TEST_NGINX_RAND_PORT_2';

our $Upstreams = <<"_EOC_";
    upstream eightbyeight_voice { server 127.0.0.1:$EightPort; }
    upstream eightbyeight_sms { server 127.0.0.1:$EightPort; }
_EOC_

our $StandIn = <<"_EOC_";
    upstream eightbyeight_voice { server 127.0.0.1:$StandInPort; keepalive 4; }
    upstream eightbyeight_sms { server 127.0.0.1:$StandInPort; keepalive 4; }
    server {
        listen 127.0.0.1:$StandInPort;
        default_type application/json;
        location /api/v1/subaccounts/acme/callflows {
            return 200 '{"sessionId":"standin-voice-1","sessionStatus":"CREATED","statusCode":1,"statusMessage":"Created"}';
        }
        location /api/v1/subaccounts/acme/messages {
            return 200 '{"umid":"standin-sms-1","status":{"code":"QUEUED","description":"queued"}}';
        }
    }
_EOC_

# The hook location with everything a user writes, and the two internal
# locations exactly as the README shows them.
sub hook_location {
    my (%extra) = @_;
    my $more = join '', map { "        $_;\n" } @{ $extra{directives} || [] };
    return <<"_EOC_";
    location = /hook {
        okta_telephony;
        okta_telephony_secret "$Secret";
        okta_telephony_voice_location /_8x8/voice;
        okta_telephony_sms_location /_8x8/sms;
        okta_telephony_caller_id +6512341234;
$more    }

    location = /_8x8/voice {
        internal;
        proxy_pass http://eightbyeight_voice/api/v1/subaccounts/acme/callflows;
        proxy_set_header Authorization "Bearer k3y";
        proxy_http_version 1.1;
        proxy_set_header Connection "";
    }

    location = /_8x8/sms {
        internal;
        proxy_pass http://eightbyeight_sms/api/v1/subaccounts/acme/messages;
        proxy_set_header Authorization "Bearer k3y";
        proxy_http_version 1.1;
        proxy_set_header Connection "";
    }
_EOC_
}

our $Loc = hook_location();

# What nginx sends to 8x8 for a JSON body, byte for byte (the header lines
# in 1.22's order; tcp_query compares it through any_order below).
sub eight_request {
    my ($kind, $json) = @_;
    my ($path, $host) = $kind eq 'voice'
        ? ('/api/v1/subaccounts/acme/callflows', 'eightbyeight_voice')
        : ('/api/v1/subaccounts/acme/messages', 'eightbyeight_sms');
    return "POST $path HTTP/1.1\r\n"
         . "Authorization: Bearer k3y\r\n"
         . "Host: $host\r\n"
         . "Content-Length: " . length($json) . "\r\n"
         . "Content-Type: application/json\r\n"
         . "Accept: application/json\r\n"
         . "\r\n"
         . $json;
}

# The request text above as a pattern for tcp_query that takes its header
# lines in any order: nginx chooses the order (1.31 writes Host first, older
# versions after proxy_set_header's headers), 8x8 reads them as a set. The
# request line and the body must match exactly, every header line must be
# there once, and no other header line may be (tcp_query_len, the length of
# the text, still counts every byte).
sub any_order {
    my ($request) = @_;
    my ($head, $body) = split /\r\n\r\n/, $request, 2;
    die "any_order: no end of header in the request\n" unless defined $body;
    my ($line, @headers) = split /\r\n/, $head;
    my $one = join '|', map { quotemeta } @headers;
    my $each = join '', map { '(?=(?:[^\r\n]+\r\n)*?' . quotemeta($_) . '\r\n)' }
                        @headers;
    my $n = @headers;
    my ($l, $b) = (quotemeta($line), quotemeta($body));
    return qr/\A$l\r\n$each(?:(?:$one)\r\n){$n}\r\n$b\z/;
}

# An HTTP reply from the 8x8 stand-in.
sub eight_reply {
    my ($status, $json, $ctype) = @_;
    $ctype ||= 'application/json';
    my %text = (200 => 'OK', 400 => 'Bad Request', 401 => 'Unauthorized',
                422 => 'Unprocessable Entity', 500 => 'Internal Server Error');
    return "HTTP/1.1 $status " . ($text{$status} || 'Status') . "\r\n"
         . "Content-Type: $ctype\r\n"
         . "Content-Length: " . length($json) . "\r\n"
         . "Connection: close\r\n"
         . "\r\n"
         . $json;
}

# Okta's answer for an action.
sub okta_action {
    my ($status, $txn, $meta) = @_;
    my $v = qq{"status":"$status","provider":"8x8"};
    $v .= qq{,"transactionId":"$txn"} if defined $txn;
    $v .= qq{,"transactionMetadata":"$meta"} if defined $meta;
    return qq{{"commands":[{"type":"com.okta.telephony.action","value":[{$v}]}]}};
}

sub okta_field_error {
    my ($location, $reason) = @_;
    return '{"error":{"errorSummary":"The hook request is invalid",'
         . '"errorCauses":[{"errorSummary":"' . "$location $reason" . '",'
         . '"reason":"' . $reason . '","locationType":"body",'
         . '"location":"' . $location . '","domain":"end-user"}]}}';
}

sub hook_request {
    my ($body) = @_;
    return "POST /hook\n" . $body;
}

# A hook sample with one value replaced (the JSON text stays valid).
sub with_field {
    my ($json, $field, $value) = @_;
    my $copy = $json;
    $copy =~ s/"\Q$field\E"\s*:\s*"[^"]*"/"$field": $value/
        or die "no field $field";
    return $copy;
}

sub without_field {
    my ($json, $field) = @_;
    my $copy = $json;
    $copy =~ s/\s*"\Q$field\E"\s*:\s*"[^"]*",?//
        or die "no field $field";
    $copy =~ s/,(\s*})/$1/g;
    return $copy;
}

# Values that must never reach a log line.
our @Private = ('482913', '731455', '+6598765432', '6598765432',
                '+14155550123', 'Ada', 'Lovelace', 'ada@example.com',
                $Secret, $Secret2, 'k3y');

1;
