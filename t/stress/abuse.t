#!/usr/bin/perl
# The abuse controls' state is the zone's: shared by every worker, kept
# across `nginx -s reload`, bounded when full.
#
# nginx (master + 2 workers, `listen ... reuseport` so connections spread
# over both) with an 8x8 stand-in as a server of the same nginx that logs
# each request it gets. Then:
#   - 40 hooks for one number at once, on 40 connections, against
#     `rate=20/1h`: exactly 20 SUCCESSFUL and 20 blocked, 20 requests at
#     the stand-in, both workers answered some;
#   - after a reload (same zone) the count is kept: the next hook blocked;
#   - breaker: the stand-in answers 500; after 3 failures hooks are
#     blocked at once; a reload mends the stand-in, the breaker (kept)
#     lets one probe through after its open time, the probe's success
#     closes it, the next hook is sent;
#   - 100,000 distinct numbers through a 128k zone (a few hundred
#     entries): every hook SUCCESSFUL, evictions warned about, worker RSS
#     flat after the first 5,000;
#   - no [alert], [crit], [emerg], crash, OTP or phone number in the log.
# 127.0.0.1 only: 2 ports of the first free block of 10 from 28600.
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

our ($VoiceHook, $Secret, %Children);

my $module = module_or_skip();

my $base = claim_ports(2);
my ($P_HOOK, $P_8X8) = ($base, $base + 1);
my $MANY = $ENV{TEST_STRESS_ABUSE_NUMBERS} || 100_000;

$SIG{PIPE} = 'IGNORE';
$SIG{INT} = $SIG{TERM} = sub { die "abuse.t: killed by SIG$_[0]\n" };
$SIG{ALRM} = sub { die "abuse.t: time limit (240 s) reached\n" };
alarm 240;
END { my $rc = $?; stop_all($rc); $? = $rc; }

my $prefix = new_prefix('abuse');
my $eight_log = "$prefix/logs/8x8.log";

sub conf {
    my ($eight_status) = @_;
    my $eight_body = $eight_status == 200
        ? '{"sessionId":"s1","sessionStatus":"CREATED","statusCode":1,"statusMessage":"Created"}'
        : '{"statusCode":0,"statusMessage":"x"}';
    my $hook = sub {
        my ($path, $voice, @more) = @_;
        my $d = join '', map { "            $_;\n" } @more;
        return <<"_EOC_";
        location = $path {
            okta_telephony;
            okta_telephony_secret "$Secret";
            okta_telephony_voice_location $voice;
            okta_telephony_caller_id +6512341234;
$d        }
_EOC_
    };
    my $locs = $hook->('/limit', '/_8x8/voice',
                       'okta_telephony_limit zone=okta key=number rate=20/1h')
             . $hook->('/breaker', '/_8x8/broken',
                       'okta_telephony_breaker zone=okta failures=3 open=2s')
             . $hook->('/many', '/_8x8/voice',
                       'okta_telephony_limit zone=small key=number rate=1/1h');
    return nginx_conf(prefix => $prefix, module => $module, workers => 2,
                      http => <<"_EOC_");
    okta_telephony_zone okta 1m;
    okta_telephony_zone small 128k;
    upstream eightbyeight { server 127.0.0.1:$P_8X8 max_fails=0; keepalive 8; }
    log_format eight '\$uri';

    server {
        listen 127.0.0.1:$P_8X8;
        access_log $eight_log eight;
        default_type application/json;
        location /api/v1/subaccounts/acme/callflows {
            return 200 '{"sessionId":"s1","sessionStatus":"CREATED","statusCode":1,"statusMessage":"Created"}';
        }
        location /broken {
            return $eight_status '$eight_body';
        }
    }

    server {
        listen 127.0.0.1:$P_HOOK reuseport;
        keepalive_requests 1000000;
$locs
        location = /_8x8/voice {
            internal;
            proxy_pass http://eightbyeight/api/v1/subaccounts/acme/callflows;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }
        location = /_8x8/broken {
            internal;
            proxy_pass http://eightbyeight/broken;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }
    }
_EOC_
}

sub hook_to {
    my ($path, $number) = @_;
    my $body = with_field($VoiceHook, 'phoneNumber', qq{"$number"});
    return hook_request_text($path, $Secret, $body);
}

sub one {
    my ($path, $number) = @_;
    my $s = connect_hook($P_HOOK) or return (undef, "connect: $!");
    my $r = roundtrip($s, hook_to($path, $number), time + 5);
    close $s;
    return okta_action_of($r);
}

sub eight_count {
    my ($uri) = @_;
    return scalar grep { $_ eq $uri } split /\n/, read_file($eight_log);
}

sub reload_and_wait {
    my ($master, $conf) = @_;
    my @old = worker_pids($master);
    write_file("$prefix/conf/nginx.conf", $conf);
    kill 'HUP', $master;
    my $deadline = time + 10;
    while (time < $deadline) {
        my @w = worker_pids($master);
        my %old = map { $_ => 1 } @old;
        last if @w == 2 && !grep { $old{$_} } @w;
        sleep 0.05;
    }
}

my $master = start_nginx(prefix => $prefix, conf => conf(500),
                         port => $P_HOOK, workers => 2);

# ---- 1. one number, 40 hooks at once, 2 workers: exactly 20 sent
{
    my @conns = map { { sock => connect_hook($P_HOOK) } } 1 .. 40;
    die "connect: $!" if grep { !$_->{sock} } @conns;
    send_all($_->{sock}, hook_to('/limit', '+6598765432')) for @conns;
    collect_responses(\@conns, time + 10, close => 1);
    my (%st, %meta);
    for my $c (@conns) {
        my ($s, $v) = okta_action_of($c->{res});
        $st{ $s // "error: $v" }++;
        $meta{ $v->{transactionMetadata} // '' }++ if $s && $s eq 'FAILED';
    }
    is($st{SUCCESSFUL} // 0, 20, '40 hooks, rate=20/1h: 20 SUCCESSFUL');
    is($st{FAILED} // 0, 20, '... and 20 FAILED');
    is_deeply(\%meta, { 'blocked: limit number 20/1h' => 20 },
              '... every FAILED is the block');
    is(eight_count('/api/v1/subaccounts/acme/callflows'), 20,
       '... 20 calls reached 8x8');
    my %pids = map { $_ => 1 }
               read_file("$prefix/logs/error.log")
                   =~ /\[notice\] (\d+)#\d+: \*\d+ okta telephony: event=/g;
    is(scalar keys %pids, 2, '... answered by both workers');
}

# ---- 2. the breaker opens on 8x8's 5xx and answers at once
{
    my @got = map { [ one('/breaker', '+6598765432') ] } 1 .. 5;
    is_deeply([ map { $_->[1]{transactionMetadata} } @got[3, 4] ],
              [ ('blocked: 8x8 voice breaker open') x 2 ],
              'breaker: hooks 4 and 5 blocked after 3 failures');
    is(eight_count('/broken'), 3, '... 8x8 was asked 3 times');
}

# ---- 3. reload: the limit's count and the open breaker are kept
reload_and_wait($master, conf(200));
{
    my ($s, $v) = one('/limit', '+6598765432');
    is($v->{transactionMetadata}, 'blocked: limit number 20/1h',
       'after reload: the count is kept, hook 41 blocked');
    ($s, $v) = one('/breaker', '+6598765432');
    is($v->{transactionMetadata}, 'blocked: 8x8 voice breaker open',
       'after reload: the breaker is still open');
    sleep 2.1;
    ($s, $v) = one('/breaker', '+6598765432');
    is($s, 'SUCCESSFUL', 'after the open time: the probe is sent and succeeds');
    ($s, $v) = one('/breaker', '+6598765432');
    is($s, 'SUCCESSFUL', '... the breaker is closed: the next hook is sent');
    is(eight_count('/broken'), 5, '... 8x8 got the probe and that hook');
    like(read_file("$prefix/logs/error.log"),
         qr/\[warn\] .*8x8 voice breaker opened.*\[notice\] .*8x8 voice breaker closed/s,
         '... opened, then closed, in the log');
}

# ---- 4. a small zone, 100,000 distinct numbers
sub blast {
    my ($from, $n) = @_;
    my $s = connect_hook($P_HOOK) or die "connect: $!";
    my (%st, $buf);
    my $i = 0;
    while ($i < $n) {
        my $batch = $n - $i < 32 ? $n - $i : 32;
        my $req = join '', map { hook_to('/many', '+659' . sprintf('%07d', $from + $i + $_)) }
                           0 .. $batch - 1;
        send_all($s, $req);
        $buf = '';
        my $got = 0;
        my $sel = IO::Select->new($s);
        while ($got < $batch) {
            last unless $sel->can_read(5);
            my $r = sysread($s, $buf, 65536, length $buf);
            last unless $r;
            while (my $res = parse_response(\$buf)) {
                my ($st, $v) = okta_action_of({ %$res, extra => undef });
                $st{ $st // 'error' }++;
                $got++;
            }
        }
        $st{lost} += $batch - $got;
        $i += $batch;
    }
    close $s;
    return \%st;
}

{
    my @w = worker_pids($master);
    my $r0 = blast(0, 5000);
    my %rss0 = map { $_ => rss_kb($_) } @w;
    my @kids;
    my $per = int(($MANY - 5000) / 4);
    for my $k (0 .. 3) {
        my $file = "$prefix/logs/blast-$k";
        my $pid = fork;
        die "fork: $!" unless defined $pid;
        if ($pid == 0) {
            my $r = blast(5000 + $k * $per, $per);
            write_file($file, join "\n", map { "$_ $r->{$_}" } sort keys %$r);
            POSIX::_exit(0);
        }
        $Children{$pid} = 1;
        push @kids, [$pid, $file];
    }
    my %st = %$r0;
    for my $kid (@kids) {
        waitpid($kid->[0], 0);
        delete $Children{ $kid->[0] };
        for (split /\n/, read_file($kid->[1])) {
            my ($k, $v) = split / /;
            $st{$k} += $v;
        }
    }
    my $total = 5000 + 4 * $per;
    is($st{SUCCESSFUL} // 0, $total,
       "$total distinct numbers through a 128k zone: every one SUCCESSFUL")
        or diag(explain(\%st));
    my $log = read_file("$prefix/logs/error.log");
    like($log, qr/\[warn\] .*okta_telephony_zone "small" is full: the least recently used entries were evicted/,
         '... the full zone is warned about');
    my @growth = map { (rss_kb($_) // 0) - ($rss0{$_} // 0) } @w;
    my $san = sanitizer_of($w[0]);
    SKIP: {
        skip "RSS under $san is not the module's", 1 if $san;
        ok(!grep({ $_ > 2048 } @growth),
           "... worker RSS flat after the first 5,000 (growth: @growth kB)");
    }
}

# ---- the log
{
    my $log = read_file("$prefix/logs/error.log");
    is_deeply([ bad_log_lines($log) ], [], 'no [alert], [crit], [emerg], crash');
    my @leaks = grep { index($log, $_) >= 0 } private_values();
    is_deeply(\@leaks, [], 'no OTP, number or secret in the log');
}

done_testing();
