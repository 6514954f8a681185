#!/usr/bin/perl
# Load with faults: 21,000 hooks over 24 keep-alive connections while the
# 8x8 stand-in fails most of them, each in one of the ways 8x8 (or the
# network) can fail:
#
#   ok        200 with 8x8's CREATED / QUEUED JSON     -> SUCCESSFUL
#   r4xx      400 / 422 with 8x8's error JSON          -> FAILED
#   r5xx      500 / 503 with 8x8's error JSON          -> FAILED
#   rejected  200 with 8x8's JSON refusing the request -> FAILED
#   html      200 text/html                            -> FAILED
#   empty     200 with an empty body                   -> FAILED
#   notjson   200 application/json, JSON but not 8x8's -> FAILED
#   close     connection closed before any reply (444) -> FAILED
#   mid       partial reply then FIN or RST, or RST    -> FAILED
#   refused   connection refused                       -> FAILED
#   down      upstream block with no live server       -> FAILED
#   big       200 with a 1 MiB JSON reply              -> FAILED
#   slow      accepts and never answers: answered at okta_telephony_timeout
#             (200 ms)                                 -> FAILED
#
# Every hook must get HTTP 200 application/json with exactly one
# com.okta.telephony.action whose status is SUCCESSFUL exactly for "ok"
# (with 8x8's id) and whose transactionMetadata names the fault; every
# hook is logged once; no worker dies; worker RSS does not grow after the
# first 4,248 hooks (skipped under a sanitizer); no OTP, phone number,
# secret or API key reaches the log. Besides, 2 hooks per client and phase
# go to "ok" or "slow" on a connection closed at once (Okta giving up):
# they must still be logged once, with the usual outcome.
#
# The run is 5 phases of 24 forked clients; RSS is read after each phase.
# About 15 s on 2 cores (the "slow" share costs ~4 s of it).
#
# One nginx (master + 2 workers) holds the module's hook locations and the
# stand-in's server block; a Perl child plays the "mid" and "slow" 8x8.
# 127.0.0.1 only: 5 ports of the first free block of 10 from 28600
# ($TEST_STRESS_PORT_BASE moves it).
use strict;
use warnings;

use FindBin;
use List::Util qw(shuffle sum max min);
use POSIX qw(:sys_wait_h);
use Time::HiRes qw(time sleep);
use Test::More;

BEGIN {
    $ENV{TEST_NGINX_SAMPLES} ||= "$FindBin::Bin/../../tests/samples";
    require "$FindBin::Bin/../lib-okta.pl";
    require "$FindBin::Bin/lib-stress.pl";
}

our ($VoiceHook, $SmsHook, $FrHook, $LegacyHook, $VoiceCreated, $SmsQueued,
     $SmsRejected, $Voice1017, $Sms1002, $Secret, $Json, %Children);

my $module = module_or_skip();

my $started = time;
my $base = claim_ports(5);
my ($P_HOOK, $P_STAND, $P_MID, $P_HANG, $P_REFUSED) = map { $base + $_ } 0 .. 4;

my $CLIENTS = 24;
my $PHASES = 5;          # the first one is the warm-up for the RSS baseline
my $PER_CLIENT = 175;    # 24 * 175 = 4,200 hooks a phase, 21,000 in all
my $ABORTS = 2;          # and, per client and phase, a hook to /hook/ok or
                         # /hook/slow whose connection is closed at once
my $MAX_RSS_GROWTH_KB = 1024;
my $SLOW_TIMEOUT_MS = 200;

$SIG{PIPE} = 'IGNORE';
$SIG{INT} = $SIG{TERM} = sub { die "load-faults.t: killed by SIG$_[0]\n" };
$SIG{ALRM} = sub { die "load-faults.t: time limit (240 s) reached\n" };
alarm 240;
END { my $rc = $?; stop_all($rc); $? = $rc; }


# ---------------------------------------------------------- behaviours --

sub compact { $Json->encode($Json->decode($_[0])) }

my $VoiceCreatedC = compact($VoiceCreated);
my $SmsQueuedC = compact($SmsQueued);
my $VoiceTxn = $Json->decode($VoiceCreated)->{sessionId};
my $SmsTxn = $Json->decode($SmsQueued)->{umid};

my $unreachable = qr/^8x8 (voice|sms) unreachable \(HTTP 502 from nginx\)$/;
my $notjson = qr/^8x8 (voice|sms) HTTP 200: reply is not 8x8 JSON$/;

# weight: share in percent; voice, sms: [status, body] of the nginx
# stand-in (444: close without a reply); up: a Perl or absent upstream
# instead; big: the stand-in serves a 1 MiB file (static files need GET);
# meta: what Okta's transactionMetadata must say
my @Order = qw(ok r4xx r5xx rejected html empty notjson close mid refused
               down big slow);
my %B = (
    ok       => { weight => 31,
                  voice => [200, $VoiceCreatedC], sms => [200, $SmsQueuedC] },
    r4xx     => { weight => 9,
                  voice => [400, compact($Voice1017)],
                  sms => [422, compact($Sms1002)],
                  meta => qr/^8x8 (voice|sms) HTTP 4\d\d -?\d+: \S/ },
    r5xx     => { weight => 8,
                  voice => [500, '{"sessionStatus":"NOT_CREATED","statusCode":-1,"statusMessage":"Internal error"}'],
                  sms => [503, '{"code":-1,"message":"Service unavailable","errorId":"5a0e1f3c-9d2b-4c1e-8f00-3b7f0c2d9e11","timestamp":"2026-11-28T10:00:00.12Z"}'],
                  meta => qr/^8x8 (voice|sms) HTTP 5\d\d -1: \S/ },
    rejected => { weight => 6,
                  voice => [200, compact($Voice1017)],
                  sms => [200, compact($SmsRejected)],
                  meta => qr/^8x8 (voice|sms) HTTP 200 \S+: \S/ },
    html     => { weight => 7, ctype => 'text/html',
                  voice => [200, '<html><body>Maintenance</body></html>'],
                  sms => [200, '<!DOCTYPE html><title>502</title>'],
                  meta => $notjson },
    empty    => { weight => 6, voice => [200, ''], sms => [200, ''],
                  meta => $notjson },
    notjson  => { weight => 5,
                  voice => [200, '{"hello":"world"}'], sms => [200, '[1,2,3]'],
                  meta => qr/^8x8 (voice|sms) HTTP 200\b/ },
    close    => { weight => 6, voice => [444], sms => [444],
                  meta => $unreachable },
    mid      => { weight => 7, up => 'mid',
                  meta => qr/^8x8 (voice|sms) (HTTP 200: reply is not 8x8 JSON|unreachable \(HTTP 502 from nginx\))$/ },
    refused  => { weight => 5, up => 'refused', meta => $unreachable },
    down     => { weight => 5, up => 'down', meta => $unreachable },
    big      => { weight => 3, big => 1,
                  meta => qr/^8x8 (voice|sms) HTTP 200: reply larger than okta_telephony_reply_buffer_size$/ },
    slow     => { weight => 2, up => 'hang', timeout => "${SLOW_TIMEOUT_MS}ms",
                  meta => qr/^8x8 (voice|sms) did not answer within $SLOW_TIMEOUT_MS ms$/ },
);
die "weights must add up to 100" unless sum(map { $_->{weight} } values %B) == 100;

# the hooks, two channels; the French one picks the configured voice
my @Hooks = (
    { name => 'voice-mfa', channel => 'voice', body => $VoiceHook },
    { name => 'voice-fr', channel => 'voice', body => $FrHook },
    { name => 'voice-legacy', channel => 'voice', body => $LegacyHook },
    { name => 'sms-reset', channel => 'sms', body => $SmsHook },
    { name => 'sms-reset', channel => 'sms', body => $SmsHook },
    { name => 'sms-reset', channel => 'sms', body => $SmsHook },
);

# ------------------------------------------------------------- config --

my $prefix = new_prefix('load-faults');

my $big = '{"sessionId":"big-1","sessionStatus":"CREATED","statusCode":1,'
        . '"statusMessage":"Created","pad":"' . ('x' x (1024 * 1024)) . '"}';
mkdir "$prefix/html/big";
write_file("$prefix/html/big/callflows", $big);
write_file("$prefix/html/big/messages", $big);

my %Path = (voice => '/api/v1/subaccounts/acme/callflows',
            sms => '/api/v1/subaccounts/acme/messages');
my %Api = (voice => 'callflows', sms => 'messages');

my $http = <<"_EOC_";
    upstream standin { server 127.0.0.1:$P_STAND max_fails=0; keepalive 16; }
    upstream mid { server 127.0.0.1:$P_MID max_fails=0; }
    upstream hang { server 127.0.0.1:$P_HANG max_fails=0; }
    upstream refused { server 127.0.0.1:$P_REFUSED max_fails=0; }
    upstream down { server 127.0.0.1:$P_REFUSED down; }

    server {
        listen 127.0.0.1:$P_HOOK;
        keepalive_requests 1000;

_EOC_

for my $b (@Order) {
    my $t = $B{$b}{timeout} || '2500ms';
    $http .= <<"_EOC_";
        location = /hook/$b {
            okta_telephony;
            okta_telephony_secret "$Secret";
            okta_telephony_voice_location /_8x8/$b/voice;
            okta_telephony_sms_location /_8x8/$b/sms;
            okta_telephony_caller_id +6512341234;
            okta_telephony_sms_sender Example;
            okta_telephony_voice_language fr fr-FR-DeniseNeural "Votre code est {code}.";
            okta_telephony_timeout $t;
        }
_EOC_
    for my $ch (qw(voice sms)) {
        my $up = $B{$b}{up} || 'standin';
        my $path = $up eq 'standin' ? "/$b/$Api{$ch}" : $Path{$ch};
        my $get = $B{$b}{big} ? "            proxy_method GET;\n" : '';
        $http .= <<"_EOC_";
        location = /_8x8/$b/$ch {
            internal;
            proxy_pass http://$up$path;
            proxy_set_header Authorization "Bearer k3y";
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_connect_timeout 1s;
            proxy_send_timeout 2s;
            proxy_read_timeout 2s;
$get        }
_EOC_
    }
}

$http .= <<"_EOC_";
        location / { return 404; }
    }

    # the 8x8 stand-in
    server {
        listen 127.0.0.1:$P_STAND;
        keepalive_requests 100000;
        default_type application/json;
        client_body_buffer_size 16k;

        location /big/ {
            root $prefix/html;
        }
_EOC_

for my $b (grep { $B{$_}{voice} } @Order) {
    for my $ch (qw(voice sms)) {
        my ($code, $text) = @{ $B{$b}{$ch} };
        my $ct = $B{$b}{ctype} ? "default_type $B{$b}{ctype}; " : '';
        my $ret = defined $text ? "return $code '$text';" : "return $code;";
        $http .= "        location = /$b/$Api{$ch} { $ct$ret }\n";
    }
}
$http .= "    }\n";

my $conf = nginx_conf(prefix => $prefix, module => $module, workers => 2,
                      http => $http);

# --------------------------------------------------------------- start --

# "refused": bound, never listening; the port stays ours
my $refused_sock = IO::Socket::INET->new(LocalAddr => '127.0.0.1',
                                         LocalPort => $P_REFUSED,
                                         Proto => 'tcp', ReuseAddr => 0)
    or die "bind 127.0.0.1:$P_REFUSED: $!";

start_fake_8x8({ sock => listen_on($P_MID), mode => 'mid' },
               { sock => listen_on($P_HANG, 4096), mode => 'hang' });

my $master = start_nginx(prefix => $prefix, conf => $conf, port => $P_HOOK,
                         workers => 2);
my @workers = worker_pids($master);
diag("nginx master $master, workers @workers, prefix $prefix");

# ------------------------------------------------------------- clients --

sub run_client {
    my ($phase, $id, $plan) = @_;
    my %r = (count => {}, fails => [], nfail => 0, maxlat => {},
             minlat => {}, connects => 0, channel => {});
    my $sock;
    my $fail = sub {
        my ($what) = @_;
        $r{nfail}++;
        push @{ $r{fails} }, "phase $phase client $id: $what"
            if @{ $r{fails} } < 10;
    };

    for my $item (@$plan) {
        my ($b, $hi) = @$item;
        my $hook = $Hooks[$hi];
        my $what = "$b/$hook->{name}";
        if (!$sock) {
            $sock = connect_hook($P_HOOK);
            if (!$sock) {
                $fail->("$what: connect: $!");
                next;
            }
            $r{connects}++;
        }
        if ($b =~ /^abort-(\w+)/) {
            # Okta gives up: the hook is sent, the connection closed
            my $err = send_all($sock, hook_request_text("/hook/$1?abort",
                                                        $Secret, $hook->{body}));
            $fail->("$what: $err") if $err;
            close $sock;
            undef $sock;
            $r{count}{$b}{SENT}++;
            next;
        }
        my $t0 = time;
        my $res = roundtrip($sock,
                            hook_request_text("/hook/$b", $Secret, $hook->{body}),
                            $t0 + 10);
        my $lat = time - $t0;
        $r{maxlat}{$b} = $lat if $lat > ($r{maxlat}{$b} || 0);
        $r{minlat}{$b} = $lat if !defined $r{minlat}{$b} || $lat < $r{minlat}{$b};
        $r{channel}{ $hook->{channel} }++;

        my ($st, $v) = okta_action_of($res);
        if ($res->{error} || $res->{close}) {
            close $sock;
            undef $sock;
        }
        if (!defined $st) {
            $fail->("$what: $v");
            $r{count}{$b}{BROKEN}++;
            next;
        }
        $r{count}{$b}{$st}++;

        my $want = $b eq 'ok' ? 'SUCCESSFUL' : 'FAILED';
        my $meta = $v->{transactionMetadata} // '';
        my $txn = $v->{transactionId} // '';
        if ($st ne $want) {
            $fail->("$what: $st (want $want): $res->{body}");
        } elsif ($b eq 'ok') {
            my $t = $hook->{channel} eq 'voice' ? $VoiceTxn : $SmsTxn;
            $fail->("$what: transactionId \"$txn\", want \"$t\": $res->{body}")
                if $txn ne $t;
        } elsif ($meta !~ $B{$b}{meta}) {
            $fail->("$what: unexpected transactionMetadata: $res->{body}");
        } elsif ($meta !~ /^8x8 $hook->{channel} /) {
            $fail->("$what: wrong channel in transactionMetadata: $res->{body}");
        } elsif ($b eq 'slow'
                 && ($lat < $SLOW_TIMEOUT_MS / 1000 * 0.75 || $lat > 3)) {
            $fail->(sprintf("$what: answered after %.3f s, want about %.3f s",
                            $lat, $SLOW_TIMEOUT_MS / 1000));
        }
    }

    # nothing more may arrive on the connection
    if ($sock) {
        my $sel = IO::Select->new($sock);
        if ($sel->can_read(0.05)) {
            my $n = sysread($sock, my $extra, 65536);
            $fail->("unexpected bytes after the last answer: $extra") if $n;
        }
        close $sock;
    }
    return \%r;
}

sub run_phase {
    my ($phase) = @_;
    my @items;
    for my $b (@Order) {
        push @items, ($b) x ($B{$b}{weight} * $CLIENTS * $PER_CLIENT / 100);
    }
    push @items, (map { $_ % 2 ? 'abort-ok' : 'abort-slow' } 1 .. $ABORTS * $CLIENTS);
    my $n = $PER_CLIENT + $ABORTS;
    die "phase size" unless @items == $CLIENTS * $n;
    @items = map { [$_, int rand @Hooks] } shuffle @items;

    my %kids;
    for my $id (0 .. $CLIENTS - 1) {
        my @plan = @items[$id * $n .. ($id + 1) * $n - 1];
        my $file = "$prefix/tmp/result-$phase-$id.json";
        my $pid = fork;
        die "fork: $!" unless defined $pid;
        if ($pid == 0) {
            $SIG{ALRM} = 'DEFAULT';
            srand($phase * 1000 + $id);
            my $r = eval { run_client($phase, $id, \@plan) }
                || { nfail => 1, fails => ["client $id died: $@"], count => {} };
            write_file($file, $Json->encode($r));
            POSIX::_exit(0);
        }
        $kids{$pid} = $file;
        $Children{$pid} = 1;
    }
    my @results;
    for my $pid (keys %kids) {
        waitpid($pid, 0);
        delete $Children{$pid};
        my $r = eval { $Json->decode(read_file($kids{$pid})) }
            || { nfail => 1, fails => ["client pid $pid left no result"],
                 count => {} };
        push @results, $r;
    }
    return @results;
}

# --------------------------------------------------------------- run --

my (%count, %maxlat, %minlat, %channel, @fails);
my ($nfail, $connects, $sent) = (0, 0, 0);
my (%rss, @rss_table);

for my $phase (1 .. $PHASES) {
    my $t0 = time;
    for my $r (run_phase($phase)) {
        $nfail += $r->{nfail};
        push @fails, @{ $r->{fails} };
        $connects += $r->{connects} || 0;
        for my $b (keys %{ $r->{count} }) {
            for my $s (keys %{ $r->{count}{$b} }) {
                $count{$b}{$s} += $r->{count}{$b}{$s};
                $sent += $r->{count}{$b}{$s} unless $s eq 'SENT';
            }
        }
        $maxlat{$_} = max($maxlat{$_} || 0, $r->{maxlat}{$_})
            for keys %{ $r->{maxlat} || {} };
        $minlat{$_} = min($minlat{$_} // 99, $r->{minlat}{$_})
            for keys %{ $r->{minlat} || {} };
        $channel{$_} += $r->{channel}{$_} for keys %{ $r->{channel} || {} };
    }
    my $dt = time - $t0;
    sleep 0.3;    # let the workers finish closing the clients' connections
    my @now = worker_pids($master);
    my %r = map { $_ => rss_kb($_) } @now;
    push @rss_table, sprintf("after phase %d (%6d hooks, %5.1f s, %4.0f hooks/s): %s",
                             $phase, $sent, $dt, $CLIENTS * $PER_CLIENT / $dt,
                             join(', ', map { "worker $_ RSS " . ($r{$_} // '?') . " kB" } @now));
    $rss{$phase} = \%r;
}

diag($_) for @rss_table;

# ------------------------------------------------------------ checks --

cmp_ok($sent, '>=', 20_000, "hooks sent and answered: $sent");
is($nfail, 0, 'every hook got the right, well-formed answer')
    or diag(join "\n", "$nfail failures; some of them:",
                 @fails[0 .. min($#fails, 19)]);

for my $b (@Order) {
    my $want = $B{$b}{weight} * $CLIENTS * $PER_CLIENT / 100 * $PHASES;
    my $st = $b eq 'ok' ? 'SUCCESSFUL' : 'FAILED';
    is($count{$b}{$st} || 0, $want, "$b: $want answers $st")
        or diag("$b: " . join(', ', map { "$_=$count{$b}{$_}" } sort keys %{ $count{$b} || {} }));
}
diag(sprintf("%-10s %6s %-10s  latency min %6s  max %6s", 'behaviour', 'hooks',
             'answer', '', ''));
for my $b (@Order) {
    diag(sprintf("%-10s %6d %-10s  latency min %4.0fms  max %4.0fms", $b,
                 sum(values %{ $count{$b} || {} }) || 0,
                 join('+', sort keys %{ $count{$b} || {} }),
                 ($minlat{$b} || 0) * 1000, ($maxlat{$b} || 0) * 1000));
}
diag(sprintf("%-10s %6d sent, connection closed at once", $_,
             $count{$_}{SENT} || 0)) for 'abort-ok', 'abort-slow';
diag("channels: " . join(', ', map { "$_ $channel{$_}" } sort keys %channel)
     . "; client connections opened: $connects");

# no worker died, nor was replaced
my @end_workers = worker_pids($master);
is("@end_workers", "@workers", 'the same workers ran from start to end');
ok(alive($master), 'the master is alive');

# memory: per worker, RSS after the warm-up phase vs at the end
SKIP: {
    my $san = sanitizer_of($workers[0]);
    skip("RSS growth means nothing with $san in the workers (its quarantine "
         . 'keeps freed memory); the sanitizer reports leaks itself',
         scalar @workers) if $san;
    for my $w (@workers) {
        my ($a, $z) = ($rss{1}{$w}, $rss{$PHASES}{$w});
        ok(defined $a && defined $z && $z - $a <= $MAX_RSS_GROWTH_KB,
           sprintf('worker %d RSS after the first %d hooks: %s kB, at the '
                   . 'end: %s kB (growth %s kB, limit %d)', $w,
                   $CLIENTS * ($PER_CLIENT + $ABORTS), $a // '?', $z // '?',
                   (defined $a && defined $z) ? $z - $a : '?',
                   $MAX_RSS_GROWTH_KB));
    }
}

# the error log
my $log = read_file("$prefix/logs/error.log");
my @bad = bad_log_lines($log);
is(scalar @bad, 0, 'no [alert], [crit], [emerg] or dead worker in the error log')
    or diag(join "\n", @bad[0 .. min($#bad, 19)]);

my (%logged, $unmasked);
while ($log =~ /okta telephony: event=\S+ type=\S+ channel=(\S+) to=(\S+) outcome=(\S+) .*?request: "POST \/hook\/(\w+) /g) {
    $logged{$4}{$3}++;
    $unmasked++ if $2 ne '-' && $2 !~ /\*{4}/;
}
for my $b (@Order) {
    my $st = $b eq 'ok' ? 'SUCCESSFUL' : 'FAILED';
    is(join(',', map { "$_=$logged{$b}{$_}" } sort keys %{ $logged{$b} || {} }),
       "$st=" . (sum(values %{ $count{$b} || {} }) || 0),
       "$b: one log line per hook, outcome $st");
}
ok(!$unmasked, 'phone numbers in the log are masked');

# the hooks Okta gave up on are still delivered (ok) or timed out (slow),
# and logged once
my %aborted;
while ($log =~ /okta telephony: event=\S+ .* outcome=(\S+) .*?request: "POST \/hook\/(\w+)\?abort /g) {
    $aborted{"$2 $1"}++;
}
is(join(', ', map { "$_=$aborted{$_}" } sort keys %aborted),
   sprintf('ok SUCCESSFUL=%d, slow FAILED=%d', $count{'abort-ok'}{SENT} || 0,
           $count{'abort-slow'}{SENT} || 0),
   'hooks whose client went away: one log line each, 8x8 outcome as usual');

my @seen = grep { index($log, $_) >= 0 } private_values();
is("@seen", '', 'no OTP, phone number, secret or API key in the error log');

# the faults really happened
like($log, qr/connect\(\) failed \(111: Connection refused\).*subrequest: "\/_8x8\/refused\//,
     'refused: nginx saw connection refused');
like($log, qr/no live upstreams.*subrequest: "\/_8x8\/down\//, 'down: no live upstreams');
like($log, qr/upstream prematurely closed connection.*subrequest: "\/_8x8\/mid\//,
     'mid: nginx saw the connection close mid-reply');
like($log, qr/(reset by peer|prematurely closed).*subrequest: "\/_8x8\/close\//,
     'close: nginx saw the connection closed without a reply');
my $timeouts = () = $log =~ /outcome=FAILED 8x8_status=0 txn=- latency=\d+ms detail=timeout, .*?request: "POST \/hook\/slow HTTP/g;
is($timeouts, sum(values %{ $count{slow} || {} }) || 0,
   'slow: every one ended at okta_telephony_timeout');

stop_nginx($master);
diag(sprintf('wall time %.1f s', time - $started));

done_testing();
