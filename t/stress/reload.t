#!/usr/bin/perl
# `nginx -s reload` while hooks are in flight.
#
# nginx (master + 2 workers) starts with secret A; the 8x8 stand-in is a
# Perl child that answers 8x8's CREATED / QUEUED JSON 1.2 s after each
# request. Ten hooks (voice and SMS, secret A) are sent at once; 200 ms
# later the config is rewritten with secret B only and reloaded. Then:
#   - every in-flight hook gets HTTP 200 SUCCESSFUL from the old workers,
#     and 8x8 got each of them before the reload and answered after it;
#   - a new hook with secret A gets 401, one with secret B gets SUCCESSFUL;
#   - the old workers stay until their hooks are answered, then exit;
#   - the counters in the metrics zone count every hook exactly once,
#     those the old workers answered after the reload included;
#   - no [alert], [crit], [emerg], crash, OTP or phone number in the log.
# 127.0.0.1 only: 2 ports of the first free block of 10 from 28600
# ($TEST_STRESS_PORT_BASE moves it).
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

our ($VoiceHook, $SmsHook, $VoiceCreated, $SmsQueued, $Secret, $Secret2,
     $Json, %Children);

my $module = module_or_skip();

my $started = time;
my $base = claim_ports(2);
my ($P_HOOK, $P_8X8) = ($base, $base + 1);
my $INFLIGHT = 10;
my $DELAY = 1.2;             # 8x8's answer time; okta_telephony_timeout 2500ms

$SIG{PIPE} = 'IGNORE';
$SIG{INT} = $SIG{TERM} = sub { die "reload.t: killed by SIG$_[0]\n" };
$SIG{ALRM} = sub { die "reload.t: time limit (60 s) reached\n" };
alarm 60;
END { my $rc = $?; stop_all($rc); $? = $rc; }


my $VoiceTxn = $Json->decode($VoiceCreated)->{sessionId};
my $SmsTxn = $Json->decode($SmsQueued)->{umid};

my $prefix = new_prefix('reload');
my $received = "$prefix/logs/8x8-received.log";

sub conf_with_secret {
    my ($secret) = @_;
    my $locations = hook_locations(secret => $secret);
    return nginx_conf(prefix => $prefix, module => $module, workers => 2,
                      http => <<"_EOC_");
    upstream eightbyeight { server 127.0.0.1:$P_8X8 max_fails=0; }
    okta_telephony_zone okta 1m;
    okta_telephony_metrics_zone okta;

    server {
        listen 127.0.0.1:$P_HOOK;

        location = /metrics {
            okta_telephony_metrics okta;
        }

$locations    }
_EOC_
}

start_fake_8x8({ sock => listen_on($P_8X8), mode => 'delay', delay => $DELAY,
                 log => $received });

my $master = start_nginx(prefix => $prefix, conf => conf_with_secret($Secret),
                         port => $P_HOOK, workers => 2);
my @old = worker_pids($master);
diag("nginx master $master, workers @old, prefix $prefix");

# the answer is SUCCESSFUL with 8x8's id for the channel
sub successful {
    my ($e, $name) = @_;
    my ($st, $v) = okta_action_of($e->{res});
    my $txn = $e->{voice} ? $VoiceTxn : $SmsTxn;
    ok(defined $st && $st eq 'SUCCESSFUL' && ($v->{transactionId} // '') eq $txn,
       $name) or diag(defined $st ? $e->{res}{body} : $v);
}

sub hook {
    my ($i, $secret) = @_;
    my $voice = $i % 2 == 0;
    my $sock = connect_hook($P_HOOK) or die "connect: $!";
    my $err = send_all($sock, hook_request_text('/hook', $secret,
                                                $voice ? $VoiceHook : $SmsHook));
    die $err if $err;
    return { sock => $sock, voice => $voice, i => $i };
}

# ---------------------------------------------------- hooks in flight --

my $t_sent = time;
my @inflight = map { hook($_, $Secret) } 1 .. $INFLIGHT;

sleep 0.2;
write_file("$prefix/conf/nginx.conf", conf_with_secret($Secret2));
my $t_reload = time;
my $out = `@{[ join ' ', nginx_cmd($prefix, '-s', 'reload') ]} 2>&1`;
is($?, 0, 'nginx -s reload') or diag($out);

# the old workers have closed their listening sockets once they log this
my $deadline = time + 5;
my (@new, $shutting);
while (time < $deadline) {
    my $log = read_file("$prefix/logs/error.log");
    $shutting = grep { $log =~ /\b$_#\d+: gracefully shutting down/ } @old;
    my %o = map { $_ => 1 } @old;
    @new = grep { !$o{$_} } worker_pids($master);
    last if $shutting == @old && @new == 2;
    sleep 0.02;
}
is($shutting, scalar @old, 'the old workers are shutting down gracefully');
is(scalar @new, 2, "new workers @new started");
my $t_ready = time;
ok($t_ready < $t_sent + $DELAY, sprintf('reload done %.0f ms after the hooks '
   . 'were sent, while 8x8 still had them', ($t_ready - $t_sent) * 1000));
# a watcher notes when each old worker is gone
my $gone_file = "$prefix/logs/old-workers-gone";
my $watcher = fork;
die "fork: $!" unless defined $watcher;
if ($watcher == 0) {
    # the hooks' connections are the test's, not the watcher's
    close $_->{sock} for @inflight;
    my %left = map { $_ => 1 } @old;
    my $until = time + 10;
    while (%left && time < $until) {
        for my $w (keys %left) {
            next if alive($w);
            delete $left{$w};
            open my $fh, '>>', $gone_file or POSIX::_exit(1);
            printf $fh "%d %.3f\n", $w, time;
            close $fh;
        }
        sleep 0.005;
    }
    POSIX::_exit(0);
}
$Children{$watcher} = 1;

# which old workers are still there (those with hooks must be: checked
# below, once the log says who answered them)
my %alive_after_reload = map { $_ => alive($_) } @old;

# ------------------------------------------- new hooks, new config --

my $b_hook = hook(0, $Secret2);
my $a_hook = hook(1, $Secret);
collect_responses([$a_hook], time + 5);
is($a_hook->{res}{status} // $a_hook->{res}{error}, 401,
   'after the reload a hook with the old secret A gets 401');
like($a_hook->{res}{body} // '', qr/^\{"error":\{"errorSummary":"authentication required"/,
     '... with Okta\'s error JSON');

# each connection is closed as soon as its answer is in: Okta would keep
# it open, and nginx would then keep an exiting worker for
# lingering_timeout (5 s) after its last answer, exactly as it does for a
# plain proxy_pass
collect_responses([@inflight, $b_hook], time + 5, close => 1);
close $a_hook->{sock};

for my $e (@inflight) {
    successful($e, sprintf('in-flight hook %d (%s, secret A) answered '
                           . 'SUCCESSFUL %.0f ms after it was sent',
                           $e->{i}, $e->{voice} ? 'voice' : 'sms',
                           (($e->{at} || time) - $t_sent) * 1000));
}
successful($b_hook, 'after the reload a hook with the new secret B gets SUCCESSFUL');

# every in-flight hook was with 8x8 across the reload
my @got = split /\n/, read_file($received);
is(scalar @got, $INFLIGHT + 1, 'the stand-in got the in-flight hooks and the '
   . 'one with secret B, not the one with secret A');
# the times 8x8 answered the hooks that were in flight at the reload
my @replied = map { /recv=([\d.]+) sent=([\d.]+)/ && $1 < $t_reload ? $2 : () } @got;
my $across = grep { $_ > $t_reload } @replied;
is($across, $INFLIGHT, 'each in-flight hook reached 8x8 before the reload '
   . 'and was answered after it');

# the old workers leave once they have answered
waitpid($watcher, 0);
delete $Children{$watcher};
my %gone = map { split ' ' } split /\n/, read_file($gone_file);
# (a worker cannot answer, so cannot be done, before 8x8 replied to it)
my ($first) = sort { $a <=> $b } @replied, 9e9;
my ($last) = sort { $b <=> $a } @replied, 0;
for my $w (@old) {
    ok($gone{$w} && $gone{$w} <= $last + 2,
       sprintf('old worker %d exited %s ms after the reload, %s ms after '
               . '8x8\'s last reply to an in-flight hook', $w,
               map { $gone{$w} ? sprintf('%.0f', ($gone{$w} - $_) * 1000) : '?' }
                   $t_reload, $last));
}
is(join(' ', sort { $a <=> $b } worker_pids($master)), "@new",
   'the new workers remain');

# ------------------------------------------------------- counters --

# 5 voice and 5 SMS in flight (even i: voice), hook 0 (voice) after the
# reload, hook 1 refused: counted once each, across the reload
my $m = roundtrip(connect_hook($P_HOOK), "GET /metrics HTTP/1.1\r\n"
                  . "Host: x\r\nConnection: close\r\n\r\n", time + 5);
my %series = map { /^(\S+) (\S+)$/ ? ($1 => $2) : () }
             split /\n/, $m->{body} // '';
is(join(' ', map { $series{$_} // '-' }
        'okta_telephony_hooks_total{channel="voice",outcome="SUCCESSFUL"}',
        'okta_telephony_hooks_total{channel="sms",outcome="SUCCESSFUL"}',
        'okta_telephony_auth_failures_total{reason="wrong_secret"}',
        'okta_telephony_8x8_responses_total{channel="voice",code="2xx",status="accepted"}',
        'okta_telephony_8x8_duration_seconds_count{channel="sms"}'),
   '6 5 1 6 5', 'the metrics zone counted every hook once, across the reload '
   . 'and both generations of workers') or diag($m->{body} // $m->{error});

# ------------------------------------------------------------- log --

my $log = read_file("$prefix/logs/error.log");
my @bad = bad_log_lines($log);
is(scalar @bad, 0, 'no [alert], [crit], [emerg] or crashed worker in the error log')
    or diag(join "\n", @bad);
my %answered_by;
while ($log =~ /\[notice\] (\d+)#\d+: \*\d+ okta telephony: event=\S+ .* outcome=SUCCESSFUL 8x8_status=200 /g) {
    $answered_by{$1}++;
}
my ($by_old, $by_new) = (0, 0);
$by_old += $answered_by{$_} || 0 for @old;
$by_new += $answered_by{$_} || 0 for @new;
is("$by_old/$by_new", "$INFLIGHT/1", 'the old workers delivered the in-flight '
   . 'hooks, a new one the hook with secret B (one log line each)')
    or diag(join ', ', map { "worker $_: $answered_by{$_}" } sort keys %answered_by);
my @busy = grep { $answered_by{$_} } @old;
is(join(' ', grep { !$alive_after_reload{$_} } @busy), '',
   "the old workers with hooks in flight (@busy) were still there after the "
   . 'reload');
is(join(' ', grep { ($gone{$_} || 0) < $first } @busy), '',
   'and left only once the in-flight answers were out');
like($log, qr/request without a valid "authorization" header refused/,
     'the refused hook is logged');
my @seen = grep { index($log, $_) >= 0 } private_values();
is("@seen", '', 'no OTP, phone number, secret or API key in the error log');

stop_nginx($master);
diag(sprintf('wall time %.1f s', time - $started));

done_testing();
