#!/usr/bin/perl
# nginx's binary upgrade (USR2, WINCH, QUIT) while hooks keep coming.
#
# nginx runs as in production: daemon on, master + 2 workers. Four clients
# send hooks one after another (voice and SMS, a connection each) to a Perl
# 8x8 stand-in that answers 8x8's CREATED / QUEUED JSON 150 ms after each
# request, so hooks are in flight at every step. Meanwhile the module's file
# is replaced by a new one (a new inode, as `install` does), then:
#   USR2 to the master: a new master (the same nginx binary) starts with the
#        new .so and its own 2 workers, the old pid file becomes
#        nginx.pid.oldbin;
#   WINCH to the old master: its workers finish their hooks and exit;
#   QUIT to the old master: it exits, the new master stays.
# Then: every hook sent got HTTP 200 with Okta's SUCCESSFUL action JSON and
# 8x8's id (sent = answered), 8x8 got each of them once, the old workers
# answered before the USR2 and the new ones after it, the new workers have
# the new .so mapped and the old ones had the old one, and the error log
# has no [alert], [crit], [emerg], crash, OTP or phone number.
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

my $conf = nginx_conf(prefix => $prefix, module => $module, workers => 2,
                      http => <<"_EOC_");
    upstream eightbyeight { server 127.0.0.1:$P_8X8 max_fails=0; }

    server {
        listen 127.0.0.1:$P_HOOK;

        location = /hook {
            okta_telephony;
            okta_telephony_secret "$Secret";
            okta_telephony_voice_location /_8x8/voice;
            okta_telephony_sms_location /_8x8/sms;
            okta_telephony_caller_id +6512341234;
            okta_telephony_timeout 2500ms;
            # which worker answered (the test's own header)
            add_header X-Worker \$pid;
        }

        location = /_8x8/voice {
            internal;
            proxy_pass http://eightbyeight/api/v1/subaccounts/acme/callflows;
            proxy_set_header Authorization "Bearer k3y";
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_read_timeout 5s;
        }

        location = /_8x8/sms {
            internal;
            proxy_pass http://eightbyeight/api/v1/subaccounts/acme/messages;
            proxy_set_header Authorization "Bearer k3y";
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_read_timeout 5s;
        }
    }
_EOC_
$conf =~ s/^daemon off;$/daemon on;\n$env/m or die "no 'daemon off;' in the conf";
write_file("$prefix/conf/nginx.conf", $conf);
my $so = "$prefix/ngx_http_okta_telephony_module.so";   # private_module's copy

start_fake_8x8({ sock => listen_on($P_8X8), mode => 'delay', delay => $DELAY,
                 log => $received });

# ------------------------------------------------------------ start --

my @cmd = nginx_cmd($prefix);
system(@cmd, '-t', '-q') == 0
    or die "nginx -t failed:\n" . read_file("$prefix/logs/error.log");
{
    my $pid = fork;
    die "fork: $!" unless defined $pid;
    if ($pid == 0) {
        open STDIN, '<', '/dev/null';
        open STDOUT, '>>', "$prefix/logs/stdout.log";
        open STDERR, '>>', "$prefix/logs/error.log";
        exec @cmd or POSIX::_exit(127);
    }
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

sleep 1;

# the new build of the module, installed as `install` does (a new file)
File::Copy::copy($module, "$so.new") or die "copy $module: $!";
rename "$so.new", $so or die "rename $so: $!";
my $new_inode = (stat $so)[1];

my $t_usr2 = time;
kill 'USR2', $old;
my $new = wait_for(10, sub {
    my $m = pid_in($pidfile);
    return $m && $m != $old && alive($m) && (() = worker_pids($m)) == 2
        && -e "$pidfile.oldbin" ? $m : undef;
});
ok($new, 'USR2: a new master with 2 workers, the old pid file is nginx.pid.oldbin')
    or diag(read_file("$prefix/logs/error.log"));
$masters{$new} = 1 if $new;
my @new_workers = $new ? worker_pids($new) : ();
is(pid_in("$pidfile.oldbin"), $old, 'nginx.pid.oldbin names the old master');
my $t_new = time;
diag(sprintf('new master %s, workers %s, up %.0f ms after USR2',
             $new // '-', "@new_workers", ($t_new - $t_usr2) * 1000));

# which .so each generation has mapped
sub maps_of {
    my ($pid) = @_;
    my ($line) = grep { /\Q$so\E/ } split /\n/, read_file("/proc/$pid/maps");
    return '' unless $line;
    my $inode = (split ' ', $line)[4];
    return $line =~ /\(deleted\)\s*$/ ? "old:$inode" : "new:$inode";
}
my @old_maps = map { maps_of($_) } @old_workers;
my @new_maps = map { maps_of($_) } @new_workers;
is(join(' ', @new_maps), join(' ', ("new:$new_inode") x 2),
   'the new workers have the new .so mapped');
ok(@old_maps == 2 && !grep({ !/^old:/ } @old_maps),
   'the old workers still have the old one (deleted from the disk)')
    or diag("@old_maps");

sleep 1;

my $t_winch = time;
kill 'WINCH', $old;
ok(wait_for(10, sub { !grep { alive($_) } @old_workers }),
   'WINCH: the old workers exited');
my $t_old_gone = time;
is(scalar(() = worker_pids($old)), 0, 'the old master has no worker left');
ok(alive($old), 'the old master is still there (a rollback would be HUP to it)');

sleep 0.7;

my $t_quit = time;
kill 'QUIT', $old;
ok(wait_for(10, sub { !alive($old) }), 'QUIT: the old master exited');
delete $masters{$old} unless alive($old);
ok(!-e "$pidfile.oldbin", 'nginx.pid.oldbin is gone');
is(pid_in($pidfile), $new, 'nginx.pid names the new master');

sleep 0.7;

write_file($stop_file, '');
my $t_stop = time;
for my $pid (@clients) {
    my $until = time + 10;
    while (waitpid($pid, WNOHANG) != $pid && time < $until) {
        sleep 0.02;
    }
    delete $Children{$pid};
}
is(join(' ', sort { $a <=> $b } worker_pids($new)), "@new_workers",
   'the new workers remain');

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
    or diag(join "\n", map { sprintf '%.3f s after USR2: %s', $_->{sent} - $t_usr2,
                                     $_->{why} } @bad[0 .. ($#bad > 9 ? 9 : $#bad)]);
my @got = split /\n/, read_file($received);
is(scalar @got, $sent, 'the 8x8 stand-in got each hook once');

my %is_old = map { $_ => 1 } @old_workers;
my %is_new = map { $_ => 1 } @new_workers;
my @other = grep { !$is_old{ $_->{worker} } && !$is_new{ $_->{worker} } } @hooks;
is(scalar @other, 0, 'each answer came from an old or a new worker');
my $count = sub {
    my ($from, $to, $gen) = @_;
    return scalar grep { $_->{sent} >= $from && $_->{sent} < $to
                         && $gen->{ $_->{worker} } } @hooks;
};
my %any = (%is_old, %is_new);
my @phase = ($count->(0, $t_usr2, \%any), $count->($t_usr2, $t_winch, \%any),
             $count->($t_winch, $t_quit, \%any), $count->($t_quit, 9e9, \%any));
ok(!grep({ $_ == 0 } @phase), 'hooks were answered before USR2, with two '
   . 'masters, after WINCH and after QUIT (' . join('/', @phase) . ')');
is($count->(0, $t_usr2, \%is_new), 0, 'before USR2 only old workers answered');
# (with two masters, which generation takes a connection is the kernel's
# choice: the counts are in the summary below)
is($count->($t_winch, 9e9, \%is_old), 0, 'after WINCH only new workers answered');
my @late_old = grep { $is_old{ $_->{worker} } && $_->{done} > $t_old_gone } @hooks;
is(scalar @late_old, 0, 'no answer from an old worker after they exited');

# ------------------------------------------------------------- log --

my $log = read_file("$prefix/logs/error.log");
my @badlog = bad_log_lines($log);
is(scalar @badlog, 0, 'no [alert], [crit], [emerg] or crashed worker in the error log')
    or diag(join "\n", @badlog);
like($log, qr/\[notice\] $new#\d+: okta_telephony module \S+ \(revision \S+\), built for nginx [\d.]+/,
     'the new master logged the module\'s version at start');
my $lines = () = $log =~ /okta telephony: event=\S+ .* outcome=SUCCESSFUL 8x8_status=200 /g;
is($lines, $sent, 'one log line per hook');
my @seen = grep { index($log, $_) >= 0 } private_values();
is("@seen", '', 'no OTP, phone number, secret or API key in the error log');

diag(sprintf('%d hooks by %d clients: %d before USR2, %d with two masters '
             . '(old workers %d, new %d), %d after WINCH, %d after QUIT; '
             . 'wall time %.1f s', $sent, $CLIENTS, @phase[0, 1],
             $count->($t_usr2, $t_winch, \%is_old),
             $count->($t_usr2, $t_winch, \%is_new), @phase[2, 3],
             time - $started));

done_testing();
