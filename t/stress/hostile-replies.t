#!/usr/bin/perl
# 8x8 answers with X-Accel-Redirect and other hostile headers, under load,
# across several `nginx -s reload`.
#
# nginx (master + 2 workers) holds the hook and, as a second server, an
# 8x8 stand-in that accepts every call and adds a hostile header chosen by
# the request's path (X-Accel-Redirect to the 8x8 location itself, to a
# named location, to /etc/passwd, to /; X-Accel-Limit-Rate, -Buffering,
# -Charset, -Expires; a Location header). 8 keep-alive client connections
# send hooks one after another for 4 rounds with a reload between rounds.
# Then:
#   - every hook gets one answer on its own connection: FAILED "redirected"
#     for a redirect, SUCCESSFUL otherwise; the next hook on the same
#     connection is answered too;
#   - the stand-in got exactly one request per hook (nothing sent twice);
#   - no [alert]/[crit]/[emerg] (no "open socket left"), no socket in
#     CLOSE_WAIT on the hook's port, and the workers' RSS over the last
#     round (no reload inside it) grows by less than 1 MB.
# 127.0.0.1 only: 2 ports from claim_ports().
use strict;
use warnings;

use FindBin;
use POSIX qw(:sys_wait_h);
use Time::HiRes qw(time sleep);
use Test::More;

BEGIN {
    $ENV{TEST_NGINX_SAMPLES} ||= "$FindBin::Bin/../../tests/samples";
    require "$FindBin::Bin/../lib-okta.pl";
    require "$FindBin::Bin/lib-stress.pl";
}

our ($VoiceHook, $SmsHook, $Secret, $Json);

my $module = module_or_skip();

my $started = time;
my $base = claim_ports(2);
my ($P_HOOK, $P_8X8) = ($base, $base + 1);
my $CONNS = 8;
my $PER_ROUND = 40;          # hooks per connection per round
my $ROUNDS = 4;              # rounds with a reload after each but the last

$SIG{PIPE} = 'IGNORE';
$SIG{INT} = $SIG{TERM} = sub { die "hostile-replies.t: killed by SIG$_[0]\n" };
$SIG{ALRM} = sub { die "hostile-replies.t: time limit (90 s) reached\n" };
alarm 90;
END { my $rc = $?; stop_all($rc); $? = $rc; }

my $prefix = new_prefix('hostile');

# kind => [header added by the stand-in, redirected?]
my @kinds = (
    [ 'self',    'X-Accel-Redirect /_8x8/voice', 1 ],
    [ 'named',   'X-Accel-Redirect @again', 1 ],
    [ 'passwd',  'X-Accel-Redirect /etc/passwd', 1 ],
    [ 'root',    'X-Accel-Redirect /', 1 ],
    [ 'limit',   'X-Accel-Limit-Rate 1', 0 ],
    [ 'buffer',  'X-Accel-Buffering no', 0 ],
    [ 'charset', 'X-Accel-Charset koi8-r', 0 ],
    [ 'expires', 'X-Accel-Expires 60', 0 ],
    [ 'where',   'Location http://127.0.0.1/elsewhere', 0 ],
);

my $standin_locations = join '', map {
    my ($k, $h) = @$_;
    "        location = /8x8/$k {\n"
  . "            add_header $h always;\n"
  . "            return 200 '{\"sessionId\":\"s-$k\",\"sessionStatus\":\"CREATED\","
  . "\"statusCode\":1,\"statusMessage\":\"Created\"}';\n"
  . "        }\n"
} @kinds;

my $hook_locations = join '', map {
    my ($k) = @$_;
    "        location = /hook/$k {\n"
  . "            okta_telephony;\n"
  . "            okta_telephony_voice_location /_8x8/voice/$k;\n"
  . "        }\n"
  . "        location = /_8x8/voice/$k {\n"
  . "            internal;\n"
  . "            proxy_pass http://eightbyeight/8x8/$k;\n"
  . "            proxy_http_version 1.1;\n"
  . "            proxy_set_header Connection \"\";\n"
  . "        }\n"
} @kinds;

sub conf {
    my ($gen) = @_;
    return nginx_conf(prefix => $prefix, module => $module, workers => 2,
                      http => <<"_EOC_");
    # generation $gen
    log_format eight '\$uri';
    upstream eightbyeight { server 127.0.0.1:$P_8X8 max_fails=0; keepalive 8; }

    server {
        listen 127.0.0.1:$P_8X8;
        default_type application/json;
        access_log $prefix/logs/8x8.log eight;
$standin_locations
        location / { return 404; }
    }

    server {
        listen 127.0.0.1:$P_HOOK;
        okta_telephony_secret "$Secret";
        okta_telephony_caller_id +6512341234;
        okta_telephony_timeout 2s;
$hook_locations
        location = /_8x8/voice {
            internal;
            proxy_pass http://eightbyeight/8x8/again;
        }
        location \@again {
            rewrite ^ /8x8/again break;
            proxy_pass http://eightbyeight;
        }
        location / { return 200 'root'; }
    }
_EOC_
}

my $master = start_nginx(prefix => $prefix, conf => conf(0),
                         port => $P_HOOK, workers => 2);

sub close_wait_count {
    my $n = 0;
    for my $f ('/proc/net/tcp', '/proc/net/tcp6') {
        open my $fh, '<', $f or next;
        while (<$fh>) {
            my @c = split;
            next unless @c > 3 && $c[1] =~ /:([0-9A-F]{4})$/;
            $n++ if hex($1) == $P_HOOK && $c[3] eq '08';
        }
    }
    return $n;
}

sub workers_rss {
    my $t = 0;
    $t += rss_kb($_) || 0 for worker_pids($master);
    return $t;
}

my ($sent, $bad, %answers) = (0, 0);
my @errors;

sub round {
    my ($r) = @_;
    my @socks = map { connect_hook($P_HOOK) or die "connect: $!" } 1 .. $CONNS;
    for my $i (1 .. $PER_ROUND) {
        for my $c (0 .. $#socks) {
            my $kind = $kinds[($i + $c + $r) % @kinds];
            my $req = hook_request_text("/hook/$kind->[0]", $Secret,
                                        $VoiceHook);
            my $res = roundtrip($socks[$c], $req, time + 3);
            $sent++;
            if ($res->{error}) {
                push @errors, "round $r conn $c hook $i ($kind->[0]): "
                            . $res->{error};
                $bad++;
                $socks[$c] = connect_hook($P_HOOK) or die "connect: $!";
                next;
            }
            my ($status, $v) = okta_action_of($res);
            my $want = $kind->[2] ? 'FAILED' : 'SUCCESSFUL';
            my $ok = defined $status && $status eq $want
                && ($kind->[2]
                    ? ($v->{transactionMetadata} || '') =~ /redirected inside nginx: refused/
                    : ($v->{transactionId} || '') eq "s-$kind->[0]");
            if (!$ok) {
                $bad++;
                push @errors, "round $r $kind->[0]: got " . ($res->{body} // '');
            }
            $answers{$kind->[0]}++;
            if ($res->{close}) {
                $socks[$c] = connect_hook($P_HOOK) or die "connect: $!";
            }
        }
    }
    close $_ for @socks;
}

for my $r (1 .. $ROUNDS) {
    round($r);
    last if $r == $ROUNDS;
    # reload between rounds: wait for the new generation of workers
    my %old = map { $_ => 1 } worker_pids($master);
    write_file("$prefix/conf/nginx.conf", conf($r));
    system(nginx_cmd($prefix, '-s', 'reload')) == 0 or die "reload failed";
    my $deadline = time + 10;
    while (time < $deadline) {
        my @w = worker_pids($master);
        last if @w == 2 && !grep { $old{$_} } @w;
        sleep 0.05;
    }
}

# one more round with the last generation, warm now: RSS must stay flat
{
    my $rss_before = workers_rss();
    round($ROUNDS + 1);
    sleep 0.3;
    my $grow = workers_rss() - $rss_before;
    my $san = sanitizer_of((worker_pids($master))[0]);
    SKIP: {
        skip "RSS is meaningless under $san", 1 if $san;
        cmp_ok($grow, '<', 1024, "workers' RSS over a last round of "
               . ($CONNS * $PER_ROUND) . " hooks grows by $grow kB (< 1 MB)");
    }
}

is($bad, 0, "$sent hooks over $CONNS keep-alive connections and "
          . ($ROUNDS - 1) . " reloads: each answered as expected")
    or diag(join "\n", @errors[0 .. ($#errors < 9 ? $#errors : 9)]);

sleep 0.5;
is(close_wait_count(), 0, "no socket in CLOSE_WAIT on the hook's port");

my @got = split /\n/, read_file("$prefix/logs/8x8.log");
is(scalar(@got), $sent, "the 8x8 stand-in got exactly one request per hook ("
   . scalar(@got) . ")");
ok(!grep({ m{/8x8/again} } @got), 'no redirect reached 8x8 again');

stop_nginx($master);
my $log = read_file("$prefix/logs/error.log");
my @badl = bad_log_lines($log);
is(scalar(@badl), 0, 'no [alert], [crit] or [emerg]')
    or diag(join "\n", @badl[0 .. ($#badl < 9 ? $#badl : 9)]);
ok($log !~ /root:x:0/, 'nothing of /etc/passwd anywhere');
my @leak = grep { index($log, $_) >= 0 } private_values();
is(scalar(@leak), 0, 'no OTP, number or secret in the error log');

diag(sprintf "%d hooks, %s; wall time %.1f s", $sent,
     join(' ', map { "$_=$answers{$_}" } sort keys %answers), time - $started);
done_testing();
