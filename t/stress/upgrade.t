#!/usr/bin/perl
# nginx's binary upgrade (USR2, WINCH, QUIT) while hooks keep coming.
#
# nginx runs as in production: daemon on, master + 2 workers. Four clients
# send hooks one after another (voice and SMS, a connection each) to a Perl
# 8x8 stand-in that answers 8x8's CREATED / QUEUED JSON 150 ms after each
# request, so hooks are in flight at every step. Before each USR2 the
# module's file is replaced by a new one (a new inode, as `install` does).
#   USR2 to the master: a new master (the same nginx binary) starts with the
#        new .so and its own 2 workers, the old pid file becomes
#        nginx.pid.oldbin;
#   WINCH to the old master: its workers finish their hooks and exit;
#   QUIT to the old master: it exits, the new master stays.
# Then once more, rolled back after WINCH: HUP to the old master starts its
# workers again (with the .so it still has mapped), QUIT to the newer one.
# Checked: every hook sent got HTTP 200 with Okta's SUCCESSFUL action JSON
# and 8x8's id (sent = answered), 8x8 got each of them once, between the
# steps only the workers that should answer did (and did), each generation
# of workers has the .so it should mapped, and the error log has no
# [alert], [crit], [emerg], crash, OTP or phone number.
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

our ($VoiceHook, $SmsHook, $VoiceCreated, $SmsQueued, $Secret, $Json, $ParentPid,
     %Children);

my $module = module_or_skip();

my $started = time;
my $base = claim_ports(2);
my ($P_HOOK, $P_8X8) = ($base, $base + 1);
my $CLIENTS = 4;
my $DELAY = 0.15;            # 8x8's answer time

$SIG{PIPE} = 'IGNORE';
$SIG{INT} = $SIG{TERM} = sub { die "upgrade.t: killed by SIG$_[0]\n" };
$SIG{ALRM} = sub { die "upgrade.t: time limit (60 s) reached\n" };
alarm 60;

# the daemon's master is reparented to this process (not to init) when
# its starter exits, and so is the new master when the old one exits: they
# can be waited for, and none is left a zombie (Linux, x86_64 or arm64)
{
    require Config;
    my $nr = { 'x86_64-linux' => 157, 'aarch64-linux' => 167 }
        ->{ (split /-/, $Config::Config{archname}, 2)[0] . '-linux' };
    syscall($nr, 36, 1, 0, 0, 0) if $^O eq 'linux' && $nr;  # PR_SET_CHILD_SUBREAPER
}

my %masters;                 # every master seen: stopped at the end
sub stop_masters {
    for my $m (keys %masters) {
        my @w = worker_pids($m);
        kill 'QUIT', $m;
        my $until = time + 5;
        while (alive($m) && time < $until) {
            waitpid($m, WNOHANG);
            sleep 0.05;
        }
        kill 'KILL', $m if alive($m);
        kill 'KILL', grep { alive($_) } @w;
        waitpid($m, WNOHANG);
    }
    %masters = ();
}
END {
    my $rc = $?;
    stop_masters() if $$ == $ParentPid;
    stop_all($rc);
    $? = $rc;
}

my $VoiceTxn = $Json->decode($VoiceCreated)->{sessionId};
my $SmsTxn = $Json->decode($SmsQueued)->{umid};

my $prefix = new_prefix('upgrade');
my $received = "$prefix/logs/8x8-received.log";
my $pidfile = "$prefix/logs/nginx.pid";

# the sanitizer runtime of `./build.sh test --asan` must reach the new
# binary too: nginx passes only the variables `env` names to it
my $env = join '', map { "env $_;\n" }
                   grep { defined $ENV{$_} } qw(LD_PRELOAD ASAN_OPTIONS UBSAN_OPTIONS);

# which worker answered: the test's own header
my $locations = hook_locations(secret => $Secret,
                               extra => '            add_header X-Worker $pid;'
                                        . "\n");
my $conf = nginx_conf(prefix => $prefix, module => $module, workers => 2,
                      http => <<"_EOC_");
    upstream eightbyeight { server 127.0.0.1:$P_8X8 max_fails=0; }

    server {
        listen 127.0.0.1:$P_HOOK;

$locations    }
_EOC_
$conf =~ s/^daemon off;$/daemon on;\n$env/m or die "no 'daemon off;' in the conf";
write_file("$prefix/conf/nginx.conf", $conf);
my $so = "$prefix/ngx_http_okta_telephony_module.so";   # private_module's copy

start_fake_8x8({ sock => listen_on($P_8X8), mode => 'delay', delay => $DELAY,
                 log => $received });

# ------------------------------------------------------------ start --

{
    my $pid = spawn_nginx($prefix);     # daemon on: it forks the master
    waitpid($pid, 0);
    die "nginx did not start (exit $?):\n" . read_file("$prefix/logs/error.log")
        if $?;
}

sub pid_in {
    my ($file) = @_;
    my $p = read_file($file);
    return $p =~ /^(\d+)\s*$/ ? $1 : undef;
}

# waits until $cond returns true, by $secs; returns its last value
sub wait_for {
    my ($secs, $cond) = @_;
    my $until = time + $secs;
    my $v;
    while (!($v = $cond->()) && time < $until) {
        waitpid($_, WNOHANG) for keys %masters;
        sleep 0.02;
    }
    return $v;
}

my $old = wait_for(10, sub {
    my $m = pid_in($pidfile);
    return $m && alive($m) && (() = worker_pids($m)) == 2
        && IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $P_HOOK,
                                 Proto => 'tcp') ? $m : undef;
}) or die "nginx did not start within 10 s:\n" . read_file("$prefix/logs/error.log");
$masters{$old} = 1;
my @old_workers = worker_pids($old);
diag("nginx master $old, workers @old_workers, prefix $prefix");

# ---------------------------------------------------------- clients --

my $stop_file = "$prefix/logs/clients-stop";

sub hook_text {
    my ($voice) = @_;
    my $t = hook_request_text('/hook', $Secret, $voice ? $VoiceHook : $SmsHook);
    $t =~ s/\r\n/\r\nConnection: close\r\n/;
    return $t;
}

# one line per hook: sent-at done-at worker|- ok|reason
sub client {
    my ($n) = @_;
    my $out = "$prefix/logs/client-$n.log";
    open my $fh, '>>', $out or POSIX::_exit(1);
    $fh->autoflush(1);
    my $i = 0;
    until (-e $stop_file) {
        my $voice = ($i++ + $n) % 2 == 0;
        my $t0 = time;
        my $sock = connect_hook($P_HOOK);
        my $r = $sock ? roundtrip($sock, hook_text($voice), time + 5)
                      : { error => "connect: $!" };
        close $sock if $sock;
        my ($st, $v) = okta_action_of($r);
        my $txn = $voice ? $VoiceTxn : $SmsTxn;
        my $ok = defined $st && $st eq 'SUCCESSFUL'
                 && ($v->{transactionId} // '') eq $txn;
        my $why = $ok ? 'ok' : defined $st ? "$st: $r->{body}" : $v;
        $why =~ s/\s+/ /g;
        printf $fh "%.3f %.3f %s %s\n", $t0, time,
            ($r->{headers} && $r->{headers}{'x-worker'}) || '-', $why;
    }
    close $fh;
    POSIX::_exit(0);
}

my @clients;
for my $n (1 .. $CLIENTS) {
    my $pid = fork;
    die "fork: $!" unless defined $pid;
    client($n) if $pid == 0;
    $Children{$pid} = 1;
    push @clients, $pid;
}

# --------------------------------------------------------- upgrade --

# a new build of the module, installed as `install` does (a new file);
# returns its inode
sub install_so {
    File::Copy::copy($module, "$so.new") or die "copy $module: $!";
    rename "$so.new", $so or die "rename $so: $!";
    return (stat $so)[1];
}

# which .so a process has mapped: "new:INODE" (the file now at $so) or
# "old:INODE" (a file replaced since)
sub maps_of {
    my ($pid) = @_;
    my ($line) = grep { /\Q$so\E/ } split /\n/, read_file("/proc/$pid/maps");
    return '' unless $line;
    my $inode = (split ' ', $line)[4];
    return $line =~ /\(deleted\)\s*$/ ? "old:$inode" : "new:$inode";
}

# USR2 to $master: returns the new master once it runs 2 workers and the
# old pid file is nginx.pid.oldbin
sub usr2 {
    my ($master, $what) = @_;
    my $t = time;
    kill 'USR2', $master;
    my $m = wait_for(10, sub {
        my $p = pid_in($pidfile);
        return $p && $p != $master && alive($p) && (() = worker_pids($p)) == 2
            && (pid_in("$pidfile.oldbin") // 0) == $master ? $p : undef;
    });
    ok($m, "$what: a new master with 2 workers, nginx.pid.oldbin names the "
       . 'old one') or diag(read_file("$prefix/logs/error.log"));
    die "no new master\n" unless $m;
    $masters{$m} = 1;
    diag(sprintf('%s: master %d, workers %s, up %.0f ms after USR2', $what, $m,
                 join(' ', worker_pids($m)), (time - $t) * 1000));
    return $m;
}

my %at;                      # when each step was done
sleep 1;

# USR2, WINCH, QUIT: the upgrade
my $inode1 = install_so();
$at{usr2} = time;
my $new = usr2($old, 'USR2');
my @new_workers = worker_pids($new);
is(join(' ', map { maps_of($_) } @new_workers), "new:$inode1 new:$inode1",
   'the new workers have the new .so mapped');
my @old_maps = map { maps_of($_) } @old_workers;
ok(@old_maps == 2 && !grep({ !/^old:/ } @old_maps),
   'the old workers still have the old one (replaced on disk)')
    or diag("@old_maps");

sleep 1;

$at{winch} = time;
kill 'WINCH', $old;
ok(wait_for(10, sub { !grep { alive($_) } @old_workers }),
   'WINCH: the old workers exited');
$at{old_gone} = time;
is(scalar(() = worker_pids($old)), 0, 'the old master has no worker left');
ok(alive($old), 'the old master is still there');

sleep 0.7;

$at{quit} = time;
kill 'QUIT', $old;
ok(wait_for(10, sub { !alive($old) }), 'QUIT: the old master exited');
delete $masters{$old} unless alive($old);
ok(!-e "$pidfile.oldbin", 'nginx.pid.oldbin is gone');
is(pid_in($pidfile), $new, 'nginx.pid names the new master');

sleep 0.7;

# USR2, WINCH, then rolled back: HUP to the old master starts workers again
# (with the .so it has mapped), QUIT to the new one
my $inode2 = install_so();
$at{usr2_b} = time;
my $newer = usr2($new, 'USR2 again');
my @newer_workers = worker_pids($newer);
is(join(' ', map { maps_of($_) } @newer_workers), "new:$inode2 new:$inode2",
   'its workers have the third .so mapped');

sleep 0.7;

$at{winch_b} = time;
kill 'WINCH', $new;
ok(wait_for(10, sub { !grep { alive($_) } @new_workers }),
   'WINCH: the workers of the first upgrade exited');
$at{new_gone} = time;

sleep 0.5;

$at{hup} = time;
kill 'HUP', $new;
my $back = wait_for(10, sub { my @w = worker_pids($new); @w == 2 ? \@w : undef });
ok($back, 'rollback: HUP to the old master starts 2 workers again');
my @back_workers = $back ? @$back : ();
is(join(' ', map { maps_of($_) } @back_workers), "old:$inode1 old:$inode1",
   'they have the .so of the first upgrade mapped (replaced on disk since)');

sleep 0.5;

$at{quit_b} = time;
kill 'QUIT', $newer;
ok(wait_for(10, sub { !alive($newer) && !grep { alive($_) } @newer_workers }),
   'QUIT to the new master: it and its workers exited');
$at{newer_gone} = time;
delete $masters{$newer} unless alive($newer);
ok(wait_for(5, sub { (pid_in($pidfile) // 0) == $new && !-e "$pidfile.oldbin" }),
   'nginx.pid names the rolled-back master again, nginx.pid.oldbin is gone');

sleep 0.5;

write_file($stop_file, '');
for my $pid (@clients) {
    my $until = time + 10;
    while (waitpid($pid, WNOHANG) != $pid && time < $until) {
        sleep 0.02;
    }
    delete $Children{$pid};
}
is(join(' ', sort { $a <=> $b } worker_pids($new)), join(' ', sort { $a <=> $b } @back_workers),
   'the rolled-back master runs the restarted workers');

# ------------------------------------------------------------ hooks --

my @hooks;
for my $n (1 .. $CLIENTS) {
    for (split /\n/, read_file("$prefix/logs/client-$n.log")) {
        my ($t0, $t1, $w, $why) = split ' ', $_, 4;
        push @hooks, { sent => $t0, done => $t1, worker => $w, why => $why };
    }
}
my @bad = grep { $_->{why} ne 'ok' } @hooks;
my $sent = @hooks;
is($sent - @bad, $sent, "every hook sent was answered with Okta's SUCCESSFUL "
   . "action JSON and 8x8's id ($sent sent)")
    or diag(join "\n", map { sprintf '%.3f s after the first USR2: %s',
                                     $_->{sent} - $at{usr2}, $_->{why} }
                           @bad[0 .. ($#bad > 9 ? 9 : $#bad)]);
my @got = split /\n/, read_file($received);
is(scalar @got, $sent, 'the 8x8 stand-in got each hook once');

# the four generations of workers
my %gen;
$gen{$_} = 'old' for @old_workers;
$gen{$_} = 'new' for @new_workers;
$gen{$_} = 'newer' for @newer_workers;
$gen{$_} = 'rolled-back' for @back_workers;
my @other = grep { !$gen{ $_->{worker} } } @hooks;
is(scalar @other, 0, 'each answer came from one of the four generations of '
   . 'workers') or diag(join ' ', map { $_->{worker} } @other);
# hooks sent from $from to $to (keys of %at), by generation
sub by_gen {
    my ($from, $to) = @_;
    my ($f, $t) = ($from ? $at{$from} : 0, $to ? $at{$to} : 9e9);
    my %n;
    $n{ $gen{ $_->{worker} } || '?' }++
        for grep { $_->{sent} >= $f && $_->{sent} < $t } @hooks;
    return \%n;
}
sub gens { my ($n) = @_; join(', ', map { "$_ $n->{$_}" } sort keys %$n) || 'none' }
my @steps = ([undef, 'usr2', 'before USR2', 'old'],
             ['old_gone', 'quit', 'after WINCH', 'new'],
             ['quit', 'usr2_b', 'after QUIT', 'new'],
             ['new_gone', 'hup', 'after the second WINCH', 'newer'],
             ['newer_gone', undef, 'after the rollback', 'rolled-back']);
for my $s (@steps) {
    my ($from, $to, $name, $want) = @$s;
    my $n = by_gen($from, $to);
    is(gens($n), $want . ' ' . ($n->{$want} || 0), "$name only the $want "
       . 'workers answered') or diag(gens($n));
    ok(($n->{$want} || 0) > 0, "... and they answered some ($n->{$want})");
}
# with two masters, which generation takes a connection is the kernel's
# choice: those counts are only reported
my @both = (by_gen('usr2', 'winch'), by_gen('usr2_b', 'winch_b'),
            by_gen('hup', 'quit_b'));

# ------------------------------------------------------------- log --

my $log = read_file("$prefix/logs/error.log");
my @badlog = bad_log_lines($log);
is(scalar @badlog, 0, 'no [alert], [crit], [emerg] or crashed worker in the error log')
    or diag(join "\n", @badlog);
for my $m ($new, $newer) {
    like($log, qr/\[notice\] $m#\d+: okta_telephony module \S+ \(revision \S+\), built for nginx [\d.]+/,
         "the new master $m logged the module's version at start");
}
my $lines = () = $log =~ /okta telephony: event=\S+ .* outcome=SUCCESSFUL 8x8_status=200 /g;
is($lines, $sent, 'one log line per hook');
my @seen = grep { index($log, $_) >= 0 } private_values();
is("@seen", '', 'no OTP, phone number, secret or API key in the error log');

diag(sprintf('%d hooks by %d clients; with two masters: %s (USR2), %s '
             . '(USR2 again), %s (rollback); wall time %.1f s', $sent,
             $CLIENTS, (map { gens($_) } @both), time - $started));

done_testing();
