package Test::Nginx::Socket;

# Minimal re-implementation of the subset of openresty's Test::Nginx::Socket
# (https://github.com/openresty/test-nginx) used by this project's tests.
# Only used when the real module is not installed (prove -I t/lib).
# Section semantics follow the real module; see t/README.md.

use strict;
use warnings;
use v5.10.1;

use Test::Base -base;

our $VERSION = '0.29-lite';

use Time::HiRes qw( sleep time );
use List::Util qw( min );
use IO::Select ();
use IO::Socket::INET;
use POSIX qw( EAGAIN :sys_wait_h );
use Digest::MD5 ();
use Digest::SHA ();

use Test::Nginx::Util;
use Test::Nginx::Response;

our @EXPORT = qw( env_to_nginx is_str plan run_tests run_test
  repeat_each config_preamble worker_connections
  master_process_enabled
  no_long_string workers master_on master_off
  log_level no_shuffle no_root_location use_hup
  server_name
  server_addr server_root html_dir server_port server_port_for_client
  timeout no_nginx_manager check_accum_error_log
  add_block_preprocessor bail_out add_cleanup_handler
  add_response_body_check
);

{
    no warnings 'once';
    *run_test = \&Test::Nginx::Util::run_test;
}

sub send_request ($$$$@);
sub value_contains ($$);

our $TotalConnectingTimeouts = 0;
our @ResponseBodyChecks;

$RunTestHelper = \&run_test_helper;
$CheckErrorLog = \&check_error_log;
$CheckShutdownErrorLog = \&check_shutdown_error_log;

sub add_response_body_check ($) {
    push @ResponseBodyChecks, shift;
}

sub tb_no_ending () {
    Test::More->builder->no_ending(1);
}

# ---------------------------------------------------------------------------
# Request construction (ported from the real module)
# ---------------------------------------------------------------------------

# Parses "METHOD [URL [VERSION]]\n<body>" and records how much whitespace
# has to be removed/replaced so the packet boundaries can be preserved.
sub parse_request ($$) {
    my ($name, $rrequest) = @_;
    open my $in, '<', $rrequest;
    my $first = <$in>;
    if (!$first) {
        bail_out("$name - Request line should be non-empty");
    }

    my ($before_meth, $meth, $after_meth);
    my ($rel_url, $rel_url_size, $after_rel_url);
    my ($http_ver, $http_ver_size, $after_http_ver);
    my $end_line_size;
    if ($first =~ /^(\s*)(\S+)( *)((\S+)( *))?((\S+)( *))?(\s*)$/) {
        $before_meth = defined $1 ? length($1) : undef;
        $meth = $2;
        $after_meth = defined $3 ? length($3) : undef;
        $rel_url = $5;
        $rel_url_size = defined $5 ? length($5) : undef;
        $after_rel_url = defined $6 ? length($6) : undef;
        $http_ver = $8;
        $http_ver_size = defined $8 ? length($8) : undef;
        $after_http_ver = defined $9 ? length($9) : undef;
        $end_line_size = defined $10 ? length($10) : undef;
    } else {
        bail_out("$name - Request line is not valid. Should be 'meth [url [version]]' but got \"$first\".");
    }

    if (!defined $rel_url) {
        $rel_url = '/';
        $rel_url_size = 0;
        $after_rel_url = 0;
    }
    if (!defined $http_ver) {
        $http_ver = 'HTTP/1.1';
        $http_ver_size = 0;
        $after_http_ver = 0;
    }

    my $content = do { local $/; <$in> };
    my $content_size;
    if (!defined $content) {
        $content = "";
        $content_size = 0;
    } else {
        $content_size = length($content);
    }
    close $in;

    return {
        method                 => $meth,
        url                    => $rel_url,
        content                => $content,
        http_ver               => $http_ver,
        skipped_before_method  => $before_meth,
        method_size            => length($meth),
        skipped_after_method   => $after_meth,
        url_size               => $rel_url_size,
        skipped_after_url      => $after_rel_url,
        http_ver_size          => $http_ver_size,
        skipped_after_http_ver => $after_http_ver + ($end_line_size // 0),
        content_size           => $content_size,
    };
}

sub get_moves ($) {
    my ($p) = @_;
    return ({d => $p->{skipped_before_method}},
            {s_s => $p->{method_size}, s_v => $p->{method}},
            {d => $p->{skipped_after_method}},
            {s_s => $p->{url_size}, s_v => $p->{url}},
            {d => $p->{skipped_after_url}},
            {s_s => $p->{http_ver_size}, s_v => $p->{http_ver}},
            {d => $p->{skipped_after_http_ver}},
            {s_s => 0, s_v => $p->{headers}},
            {s_s => $p->{content_size}, s_v => $p->{content}});
}

sub apply_moves ($$) {
    my ($r_packet, $r_move) = @_;
    my $current_packet = shift @$r_packet;
    my $current_move = shift @$r_move;
    my $in_packet_cursor = 0;
    my @result;
    while (defined $current_packet) {
        if (!defined $current_move) {
            push @result, $current_packet;
            $current_packet = shift @$r_packet;
            $in_packet_cursor = 0;
        } elsif (defined $current_move->{d}) {
            if ($current_move->{d} > length($current_packet) - $in_packet_cursor) {
                $current_move->{d} -= length($current_packet) - $in_packet_cursor;
                push @result, $current_packet if $in_packet_cursor > 0;
                $current_packet = shift @$r_packet;
                $in_packet_cursor = 0;
            } else {
                substr($current_packet, $in_packet_cursor, $current_move->{d}) = '';
                $current_move = shift @$r_move;
            }
        } else {
            if ($current_move->{s_s} > length($current_packet) - $in_packet_cursor) {
                $current_move->{s_s} -= length($current_packet) - $in_packet_cursor;
                substr($current_packet, $in_packet_cursor) =
                    substr($current_move->{s_v}, 0, length($current_packet) - $in_packet_cursor);
                push @result, $current_packet;
                $current_move->{s_v} =
                    substr($current_move->{s_v}, length($current_packet) - $in_packet_cursor);
                $current_packet = shift @$r_packet;
                $in_packet_cursor = 0;
            } else {
                substr($current_packet, $in_packet_cursor, $current_move->{s_s}) = $current_move->{s_v};
                $in_packet_cursor += length($current_move->{s_v});
                $current_move = shift @$r_move;
            }
        }
    }
    return \@result;
}

sub build_request_from_packets ($$$$$) {
    my ($name, $more_headers, $is_chunked, $conn_header, $request_packets) = @_;

    my $parsable_request = join '', @$request_packets;
    my $parsed_req = parse_request($name, \$parsable_request);

    my $len_header = '';
    if (!$is_chunked
        && defined $parsed_req->{content}
        && $parsed_req->{content} ne ''
        && $more_headers !~ /(?:^|\n)Content-Length:/)
    {
        $parsed_req->{content} =~ s/^\s+|\s+$//gs;
        $len_header .= "Content-Length: " . length($parsed_req->{content}) . "\r\n";
    }

    $more_headers =~ s/(?<!\r)\n/\r\n/gs;

    my $headers = '';
    if ($more_headers !~ /(?:^|\n)Host:/msi) {
        $headers .= "Host: $ServerName\r\n";
    }
    if ($more_headers !~ /(?:^|\n)Connection/msi) {
        $headers .= "Connection: $conn_header\r\n";
    }
    $headers .= "$more_headers$len_header\r\n";

    $parsed_req->{method} .= ' ';
    $parsed_req->{url} .= ' ';
    $parsed_req->{http_ver} .= "\r\n";
    $parsed_req->{headers} = $headers;

    my @moves = get_moves($parsed_req);
    return apply_moves($request_packets, \@moves);
}

sub parse_more_headers ($) {
    my ($in) = @_;
    my @headers = split /\n+/, $in;
    my $is_chunked;
    my $out = '';
    for my $header (@headers) {
        next if $header =~ /^\s*\#/;
        my ($key, $val) = split /:\s*/, $header, 2;
        $val //= '';
        if (lc($key) eq 'transfer-encoding' and $val eq 'chunked') {
            $is_chunked = 1;
        }
        $out .= "$key: $val\r\n";
    }
    return ($out, $is_chunked);
}

sub pick_more_headers ($$$) {
    my ($more_headers, $i, $what) = @_;
    if (ref $more_headers eq 'ARRAY') {
        my $hdr = $more_headers->[$i];
        if (!defined $hdr) {
            bail_out("--- more_headers lacks data for the $what");
        }
        return parse_more_headers($hdr);
    }
    return parse_more_headers($more_headers);
}

# Returns a list of requests; each request is a list of packets
# ({value => ..., delay_before => ...}).
sub get_req_from_block ($) {
    my ($block) = @_;
    my $name = $block->name;
    my @req_list;

    if (defined $block->raw_request) {
        my $raw = $block->raw_request;
        if (ref $raw && ref $raw eq 'ARRAY') {
            push @req_list, [map { {value => $_} } @$raw];
        } else {
            push @req_list, [{value => $raw}];
        }
        return \@req_list;
    }

    my $request;
    if (defined $block->request_eval) {
        diag "$name - request_eval DEPRECATED. Use request eval instead.";
        $request = eval $block->request_eval;
        warn $@ if $@;
    } else {
        $request = $block->request;
        if (defined $request && !ref $request) {
            while ($request =~ s/^\s*\#[^\n]+\s+|^\s+//gs) {
                # strip leading comments and blank space
            }
        }
    }

    my $more_headers = $block->more_headers || '';

    if ($block->pipelined_requests) {
        my $reqs = $block->pipelined_requests;
        if (!ref $reqs || ref $reqs ne 'ARRAY') {
            bail_out("$name - invalid entries in --- pipelined_requests");
        }
        my $prq = '';
        my $i = 0;
        for my $one (@$reqs) {
            my $conn_type = $i == @$reqs - 1 ? 'close' : 'keep-alive';
            my ($hdr, $is_chunked) =
                pick_more_headers($more_headers, $i, "$i pipelined request");
            my $r_br = build_request_from_packets($name, $hdr, $is_chunked,
                                                  $conn_type, [$one]);
            $prq .= $r_br->[0];
            $i++;
        }
        push @req_list, [{value => $prq}];
        return \@req_list;
    }

    if (!ref $request) {
        my ($hdr, $is_chunked) = pick_more_headers($more_headers, 0, "request");
        my $r_br = build_request_from_packets($name, $hdr, $is_chunked, 'close', [$request]);
        push @req_list, [{value => $r_br->[0]}];

    } elsif (ref $request eq 'ARRAY') {
        my $i = 0;
        for my $one_req (@$request) {
            my ($hdr, $is_chunked) = pick_more_headers($more_headers, $i, "${i}th request");

            if (!ref $one_req) {
                my $r_br = build_request_from_packets($name, $hdr, $is_chunked,
                                                      'close', [$one_req]);
                push @req_list, [{value => $r_br->[0]}];

            } elsif (ref $one_req eq 'ARRAY') {
                my @packet_array;
                for my $one_packet (@$one_req) {
                    if (!ref $one_packet) {
                        push @packet_array, $one_packet;
                    } elsif (ref $one_packet eq 'HASH') {
                        push @packet_array, $one_packet->{value};
                    } else {
                        bail_out("$name - Invalid syntax. $one_packet should be a string or hash with value.");
                    }
                }
                my $transformed = build_request_from_packets($name, $hdr, $is_chunked,
                                                             'close', \@packet_array);
                my @transformed_req;
                my $idx = 0;
                for my $p (@$transformed) {
                    if (!ref $one_req->[$idx]) {
                        push @transformed_req, {value => $p};
                    } else {
                        $one_req->[$idx]{value} = $p;
                        push @transformed_req, $one_req->[$idx];
                    }
                    $idx++;
                }
                push @req_list, \@transformed_req;

            } else {
                bail_out("$name - Invalid syntax. $one_req should be a string or an array of packets.");
            }
            $i++;
        }

    } else {
        bail_out("$name - invalid ---request : MUST be string or array of requests");
    }

    return \@req_list;
}

# ---------------------------------------------------------------------------
# Per-block driver
# ---------------------------------------------------------------------------

sub run_test_helper ($$$) {
    my ($block, $dry_run, $repeated_req_idx) = @_;
    my $name = $block->name;

    my $r_req_list = get_req_from_block($block);
    if ($#$r_req_list < 0) {
        bail_out("$name - request empty");
    }

    my $timeout = parse_time($block->timeout);
    $timeout = timeout() if !defined $timeout;

    my $res;
    my $req_idx = 0;
    my ($n, $need_array);

    for my $one_req (@$r_req_list) {
        my ($raw_resp, $head_req);

        if ($dry_run) {
            $raw_resp = "200 OK HTTP/1.0\r\nContent-Length: 0\r\n\r\n";
        } else {
            ($raw_resp, $head_req) = send_request($one_req, $block->raw_request_middle_delay,
                                                  $timeout, $block);
        }

        if ($block->pipelined_requests) {
            $n = @{ $block->pipelined_requests };
            $need_array = 1;
        } else {
            $need_array = $#$r_req_list > 0;
        }

      again:
        $raw_resp //= '';

        my ($raw_headers, $left);

        if (!defined $block->ignore_response) {
            if (defined $block->http09) {
                $res = Test::Nginx::Response->new(200, "OK", [], $raw_resp);
                $raw_headers = '';
            } else {
                ($res, $raw_headers, $left) = parse_response($name, $raw_resp, $head_req);
            }
        }

        if (!$n) {
            if ($left) {
                $left =~ s/([\0-\037\200-\377])/sprintf('\x{%02x}',ord $1)/eg;
                warn "WARNING: $name - unexpected extra bytes after last chunk in ",
                     "response: \"$left\"\n";
            }
        } else {
            $raw_resp = $left;
            $n--;
        }

        if (!defined $block->ignore_response) {
            check_error_code($block, $res, $dry_run, $req_idx, $need_array);
            check_raw_response_headers($block, $raw_headers, $dry_run, $req_idx, $need_array);
            check_response_headers($block, $res, $raw_headers, $dry_run, $req_idx, $need_array);
            transform_response_body($block, $res, $req_idx);
            check_response_body($block, $res, $dry_run, $req_idx, $repeated_req_idx, $need_array);
        }

        if ($n || $req_idx < @$r_req_list - 1) {
            sleep($block->wait) if $block->wait;
            check_error_log($block, $res, $dry_run, $repeated_req_idx, $need_array);
            if (!defined $block->ignore_response) {
                check_access_log($block, $dry_run, $repeated_req_idx);
            }
        }

        $req_idx++;

        goto again if $n;
    }

    sleep($block->wait) if $block->wait;

    check_error_log($block, $res, $dry_run, $repeated_req_idx, $need_array);
    if (!defined $block->ignore_response) {
        check_access_log($block, $dry_run, $repeated_req_idx);
    }
}

sub get_indexed_value ($$$$) {
    my ($name, $value, $req_idx, $need_array) = @_;
    if ($need_array) {
        if (ref $value && ref $value eq 'ARRAY') {
            return $value->[$req_idx];
        }
        bail_out("$name - You asked for many requests, the expected results should be arrays as well.");
    }
    if (ref $value && ref $value eq 'ARRAY') {
        if ($req_idx != 0) {
            bail_out("$name - SHOULD NOT HAPPEN: idx != 0 and don't need array.");
        }
        return $value->[0];
    }
    return $value;
}

# ---------------------------------------------------------------------------
# Response checks
# ---------------------------------------------------------------------------

sub check_error_code ($$$$$) {
    my ($block, $res, $dry_run, $req_idx, $need_array) = @_;
    my $name = $block->name;
    SKIP: {
        skip "$name - tests skipped due to $dry_run", 1 if $dry_run;

        if (defined $block->error_code_like) {
            my $val = get_indexed_value($name, $block->error_code_like, $req_idx, $need_array);
            like(($res && $res->code) || '', qr/$val/sm, "$name - status code ok");

        } elsif (defined $block->error_code) {
            is(($res && $res->code) || '',
               get_indexed_value($name, $block->error_code, $req_idx, $need_array),
               "$name - status code ok");

        } else {
            is(($res && $res->code) || '', 200, "$name - status code ok");
        }
    }
}

sub check_raw_response_headers ($$$$$) {
    my ($block, $raw_headers, $dry_run, $req_idx, $need_array) = @_;
    my $name = $block->name;
    if (defined $block->raw_response_headers_like) {
        SKIP: {
            skip "$name - raw_response_headers_like - tests skipped due to $dry_run", 1 if $dry_run;
            my $expected = get_indexed_value($name, $block->raw_response_headers_like,
                                             $req_idx, $need_array);
            like $raw_headers, qr/$expected/s, "$name - raw resp headers like";
        }
    }
    if (defined $block->raw_response_headers_unlike) {
        SKIP: {
            skip "$name - raw_response_headers_unlike - tests skipped due to $dry_run", 1 if $dry_run;
            my $expected = get_indexed_value($name, $block->raw_response_headers_unlike,
                                             $req_idx, $need_array);
            unlike $raw_headers, qr/$expected/s, "$name - raw resp headers unlike";
        }
    }
}

sub check_response_headers ($$$$$$) {
    my ($block, $res, $raw_headers, $dry_run, $req_idx, $need_array) = @_;
    my $name = $block->name;

    if (defined $block->response_headers) {
        my $headers = parse_headers(get_indexed_value($name, $block->response_headers,
                                                      $req_idx, $need_array));
        while (my ($key, $val) = each %$headers) {
            if (!defined $val) {
                SKIP: {
                    skip "$name - response_headers - tests skipped due to $dry_run", 1 if $dry_run;
                    unlike $raw_headers, qr/^\s*\Q$key\E\s*:/ms,
                        "$name - header $key not present in the raw headers";
                }
                next;
            }

            $val =~ s/\$ServerPort\b/$ServerPort/g;
            $val =~ s/\$ServerPortForClient\b/$ServerPortForClient/g;

            my $actual_val = $res ? $res->header($key) : undef;
            $actual_val //= '';

            SKIP: {
                skip "$name - response_headers - tests skipped due to $dry_run", 1 if $dry_run;
                is $actual_val, $val, "$name - header $key ok";
            }
        }

    } elsif (defined $block->response_headers_like) {
        my $headers = parse_headers(get_indexed_value($name, $block->response_headers_like,
                                                      $req_idx, $need_array));
        while (my ($key, $val) = each %$headers) {
            my $actual = $res ? $res->header($key) : undef;
            $actual //= '';
            SKIP: {
                skip "$name - response_headers_like - tests skipped due to $dry_run", 1 if $dry_run;
                like $actual, qr/^$val$/, "$name - header $key like ok";
            }
        }
    }
}

sub run_filter_helper ($$$) {
    my ($block, $filter, $content) = @_;
    my $name = $block->name;

    if (ref $filter && ref $filter eq 'CODE') {
        return $filter->($content);
    }
    if (ref $filter) {
        bail_out("$name - the --- response_body_filters section only supports "
                 . "subroutine reference values and string values");
    }

    my %builtin = (
        md5_hex  => sub { Digest::MD5::md5_hex($_[0]) },
        sha1_hex => sub { Digest::SHA::sha1_hex($_[0]) },
        uc       => sub { uc $_[0] },
        lc       => sub { lc $_[0] },
        ucfirst  => sub { ucfirst $_[0] },
        lcfirst  => sub { lcfirst $_[0] },
        length   => sub { length $_[0] },
    );
    my $f = $builtin{$filter}
        or bail_out("$name - unknown filter, \"$filter\", specified in the "
                    . "--- response_body_filters section");
    return $f->($content);
}

sub transform_response_body ($$$) {
    my ($block, $res, $req_idx) = @_;
    return if !defined $res;
    my $content = $res->content;
    return if !defined $content;

    my $filters = $block->response_body_filters;
    return if !defined $filters;

    my $name = $block->name;
    if (!ref $filters) {
        $filters =~ s/^\s+|\s+$//gs;
        $filters = [split /\s+/, $filters];
    } elsif (ref $filters ne 'ARRAY') {
        $filters = [$filters];
    }

    my $filter = $filters;
    if (ref $filters->[0] eq 'ARRAY') {
        $filter = $filters->[$req_idx];
        bail_out("$name - the ---response_body_filters two-dimensional array "
                 . "unmatch the specified request($req_idx)") if !defined $filter;
    }

    my $new = $content;
    if (ref $filter && ref $filter eq 'ARRAY') {
        $new = run_filter_helper($block, $_, $new) for @$filter;
    } else {
        $new = run_filter_helper($block, $filter, $new);
    }
    $res->content($new);
}

sub check_response_body ($$$$$$) {
    my ($block, $res, $dry_run, $req_idx, $repeated_req_idx, $need_array) = @_;
    my $name = $block->name;

    if (defined $block->response_body || defined $block->response_body_eval) {
        my $content = $res ? $res->content : undef;
        if (defined $content) {
            $content =~ s/^TE: deflate,gzip;q=0\.3\r\n//gms;
            $content =~ s/^Connection: TE, close\r\n//gms;
        }

        my $expected;
        if ($block->response_body_eval) {
            diag "$name - response_body_eval is DEPRECATED. Use response_body eval instead.";
            $expected = eval get_indexed_value($name, $block->response_body_eval,
                                               $req_idx, $need_array);
            warn $@ if $@;
        } else {
            $expected = get_indexed_value($name, $block->response_body, $req_idx, $need_array);
        }

        if ($block->charset) {
            require Encode;
            Encode::from_to($expected, 'UTF-8', $block->charset);
        }

        unless (!defined $expected || ref $expected) {
            $expected =~ s/\$ServerPort\b/$ServerPort/g;
            $expected =~ s/\$ServerPortForClient\b/$ServerPortForClient/g;
        }

        SKIP: {
            skip "$name - response_body - tests skipped due to $dry_run", 1 if $dry_run;
            if (ref $expected) {
                like $content, $expected,
                    "$name - response_body - like (repeated req $repeated_req_idx, req $req_idx)";
            } else {
                is_str($content, $expected,
                       "$name - response_body - response is expected (repeated req $repeated_req_idx, req $req_idx)");
            }
        }

    } elsif (defined $block->response_body_like || defined $block->response_body_unlike) {
        my ($patterns, $type, $cmp);
        if (defined $block->response_body_like) {
            ($patterns, $type, $cmp) = ($block->response_body_like, 'like', \&Test::More::like);
        } else {
            ($patterns, $type, $cmp) = ($block->response_body_unlike, 'unlike', \&Test::More::unlike);
        }

        my $content = $res ? $res->content : undef;
        if (defined $content) {
            $content =~ s/^TE: deflate,gzip;q=0\.3\r\n//gms;
            $content =~ s/^Connection: TE, close\r\n//gms;
        }
        my $expected_pat = get_indexed_value($name, $patterns, $req_idx, $need_array);
        $expected_pat =~ s/\$ServerPort\b/$ServerPort/g;
        $expected_pat =~ s/\$ServerPortForClient\b/$ServerPortForClient/g;
        my $summary = trim($content) // '';

        SKIP: {
            skip "$name - response_body_$type - tests skipped due to $dry_run", 1 if $dry_run;
            $cmp->($content, qr/$expected_pat/s,
                   "$name - response_body_$type - response is expected ($summary)");
        }
    }

    for my $check (@ResponseBodyChecks) {
        $check->($block, $res ? $res->content : undef, $req_idx, $repeated_req_idx, $dry_run);
    }
}

# ---------------------------------------------------------------------------
# Log checks
# ---------------------------------------------------------------------------

sub value_contains ($$) {
    my ($val, $pat) = @_;
    if (!ref $val || ref $val eq 'Regexp') {
        return $val =~ /\Q$pat\E/;
    }
    if (ref $val eq 'ARRAY') {
        for my $v (@$val) {
            return 1 if value_contains($v, $pat);
        }
    }
    return undef;
}

sub fmt_str ($) {
    my $str = shift;
    chomp $str;
    $str =~ s/"/\\"/g;
    $str =~ s/\r/\\r/g;
    $str =~ s/\n/\\n/g;
    $str;
}

sub normalize_patterns ($) {
    my $pats = shift;
    if (!ref $pats) {
        chomp $pats;
        return [split /\n+/, $pats];
    }
    if (ref $pats eq 'Regexp') {
        return [$pats];
    }
    return [@$pats];
}

sub line_matches ($$) {
    my ($line, $pat) = @_;
    return (ref $pat && $line =~ /$pat/) || $line =~ /\Q$pat\E/;
}

# shared by error_log/access_log ("must appear") checks
sub check_patterns_present ($$$$$$) {
    my ($name, $section, $pats, $lines, $dry_run, $desc_tail) = @_;
    my ($file) = $section =~ /access/ ? 'access.log' : 'error.log';
    for my $line (@$lines) {
        for my $pat (@$pats) {
            next if !defined $pat;
            if (line_matches($line, $pat)) {
                SKIP: {
                    skip "$name - $section - tests skipped due to $dry_run", 1 if $dry_run;
                    pass("$name - pattern \"$pat\" matches a line in $file $desc_tail");
                }
                undef $pat;
            }
        }
    }
    for my $pat (@$pats) {
        next if !defined $pat;
        SKIP: {
            skip "$name - $section - tests skipped due to $dry_run", 1 if $dry_run;
            fail("$name - pattern \"$pat\" should match a line in $file $desc_tail");
        }
    }
}

# shared by no_error_log/no_access_log ("must not appear") checks
sub check_patterns_absent ($$$$$$) {
    my ($name, $section, $pats, $lines, $dry_run, $desc_tail) = @_;
    my ($file) = $section =~ /access/ ? 'access.log' : 'error.log';
    my %found;
    my $i = 0;
    for my $line (@$lines) {
        for my $pat (@$pats) {
            next if !defined $pat;
            if (line_matches($line, $pat)) {
                if ($found{$pat}) {
                    tb_no_ending();
                } else {
                    $found{$pat} = 1;
                }
                SKIP: {
                    skip "$name - $section - tests skipped due to $dry_run ($line)", 1 if $dry_run;
                    my $ln = fmt_str($line);
                    my $p = fmt_str($pat);
                    my @more_lines;
                    for (my $j = $i + 1; $j < min($i + 10, @$lines - 1); $j++) {
                        push @more_lines, $lines->[$j];
                    }
                    fail("$name - pattern \"$p\" should not match any line in $file but matches line \"$ln\" $desc_tail\n"
                         . join "", @more_lines);
                }
            }
        }
    } continue {
        $i++;
    }
    for my $pat (@$pats) {
        next if !defined $pat || $found{$pat};
        SKIP: {
            skip "$name - $section - tests skipped due to $dry_run", 1 if $dry_run;
            my $p = fmt_str($pat);
            pass("$name - pattern \"$p\" does not match a line in $file $desc_tail");
        }
    }
}

sub check_access_log ($$$) {
    my ($block, $dry_run, $repeated_req_idx) = @_;
    my $name = $block->name;
    my $lines;

    if (defined $block->access_log) {
        $lines ||= access_log_data();
        check_patterns_present($name, 'access_log', normalize_patterns($block->access_log),
                               $lines, $dry_run, "(req $repeated_req_idx)");
    }
    if (defined $block->no_access_log) {
        $lines ||= access_log_data();
        check_patterns_absent($name, 'no_access_log', normalize_patterns($block->no_access_log),
                              $lines, $dry_run, "(req $repeated_req_idx)");
    }
}

sub check_error_log ($$$$$) {
    my ($block, $res, $dry_run, $repeated_req_idx, $need_array) = @_;
    my $name = $block->name;
    my $lines;

    my %check_level = (alert => 1, crit => 1, emerg => 1);

    my $grep_pat;
    my $grep_pats = $block->grep_error_log;
    if (defined $grep_pats) {
        if (ref $grep_pats && ref $grep_pats eq 'ARRAY') {
            $grep_pat = $grep_pats->[$repeated_req_idx];
        } else {
            $grep_pat = $grep_pats;
        }
    } elsif (defined $block->grep_error_log_out) {
        bail_out("$name - No --- grep_error_log defined but --- grep_error_log_out is defined");
    }

    if (defined $grep_pat) {
        my $expected = $block->grep_error_log_out;
        if (!defined $expected) {
            bail_out("$name - No --- grep_error_log_out defined but --- grep_error_log is defined");
        }
        if (ref $expected && ref $expected eq 'ARRAY') {
            $expected = $expected->[$repeated_req_idx];
        }

        SKIP: {
            skip "$name - error_log - tests skipped due to $dry_run", 1 if $dry_run;

            $lines ||= error_log_data();

            my $matched_lines = '';
            for my $line (@$lines) {
                if (ref $grep_pat && $line =~ /$grep_pat/ || $line =~ /\Q$grep_pat\E/) {
                    my $matched = $&;
                    if ($matched !~ /\n/) {
                        $matched_lines .= $matched . "\n";
                    }
                }
            }

            if (ref $expected eq 'Regexp') {
                like($matched_lines, $expected, "$name - grep_error_log_out (req $repeated_req_idx)");
            } else {
                is_str($matched_lines, $expected, "$name - grep_error_log_out (req $repeated_req_idx)");
            }
        }
    }

    for my $section (qw(error_log no_error_log)) {
        my $pats = $block->$section;
        next if !defined $pats;
        for my $level (keys %check_level) {
            $check_level{$level} = 0 if value_contains($pats, "[$level");
        }
    }

    if (defined $block->error_log) {
        $lines ||= error_log_data();
        check_patterns_present($name, 'error_log', normalize_patterns($block->error_log),
                               $lines, $dry_run, "(req $repeated_req_idx)");
    }

    if (defined $block->no_error_log) {
        $lines ||= error_log_data();
        check_patterns_absent($name, 'no_error_log', normalize_patterns($block->no_error_log),
                              $lines, $dry_run, "(req $repeated_req_idx)");
    }

    # The real module only warns about [alert], [crit] and [emerg] lines.
    # This project wants them to fail the block (except for --- must_die
    # blocks and blocks whose error_log/no_error_log mention the level).
    # Nothing is emitted when the log is clean, so test counts are unchanged.
    if (!$dry_run && !defined $block->must_die) {
        $lines ||= error_log_data();
        for my $level (sort grep { $check_level{$_} } keys %check_level) {
            my @bad = grep { /\[\Q$level\E\]/ } @$lines;
            next if !@bad;
            tb_no_ending();
            fail("$name - error.log contains [$level] lines (req $repeated_req_idx):\n"
                 . join('', map { "    $_" } @bad));
        }
    }

    for my $line (@{ $lines || [] }) {
        if ($line =~ /\bAssertion .*?failed\b/) {
            tb_no_ending();
            chomp(my $l = $line);
            fail("$name - $l\n");
        }
    }
}

sub check_shutdown_error_log ($$) {
    my ($block, $dry_run) = @_;
    my $name = $block->name;
    my $lines = error_log_data();

    if (defined $block->no_shutdown_error_log) {
        check_patterns_absent($name, 'no_shutdown_error_log',
                              normalize_patterns($block->no_shutdown_error_log),
                              $lines, $dry_run, "");
    }
    check_patterns_present($name, 'shutdown_error_log',
                           normalize_patterns($block->shutdown_error_log),
                           $lines, $dry_run, "");
}

# ---------------------------------------------------------------------------
# HTTP client
# ---------------------------------------------------------------------------

sub parse_response ($$$) {
    my ($name, $raw_resp, $head_req) = @_;

    my $left;
    my $raw_headers = '';
    if ($raw_resp =~ /(.*?\r\n)\r\n/s) {
        $raw_headers = $1;
    }

    my $res = Test::Nginx::Response->parse($raw_resp);
    my $code = $res->code;
    my $enc = $res->header('Transfer-Encoding');
    my $len = $res->header('Content-Length');

    if ($code && $code !~ /^\d+$/) {
        undef $code;
        $res->code(undef);
    }

    if ($code && ($code == 304 || $code == 101)) {
        return ($res, $raw_headers);
    }

    if (defined $enc && $enc eq 'chunked') {
        my $raw = $res->content // '';
        my $decoded = '';
        while (1) {
            if ($raw =~ /\G 0 [\ \t]* \r\n \r\n /gcsx) {
                if ($raw =~ /\G (.+) /gcsx) {
                    $left = $1;
                }
                last;
            }

            if ($raw =~ m{ \G [\ \t]* ( [A-Fa-f0-9]+ ) [\ \t]* \r\n }gcsx) {
                my $rest = hex($1);
                my $bit_sz = 32765;
                while ($rest > 0) {
                    my $bit = $rest < $bit_sz ? $rest : $bit_sz;
                    if ($raw =~ /\G(.{$bit})/gcs) {
                        $decoded .= $1;
                    } else {
                        tb_no_ending();
                        fail("$name - invalid chunked data received "
                             . "(not enought octets for the data section)");
                        return;
                    }
                    $rest -= $bit;
                }
                if ($raw !~ /\G\r\n/gcs) {
                    tb_no_ending();
                    fail("$name - invalid chunked data received (expected CRLF).");
                    return;
                }

            } elsif ($raw =~ /\G.+/gcs) {
                tb_no_ending();
                fail("$name - invalid chunked body received: $&");
                return;

            } else {
                tb_no_ending();
                fail("$name - no last chunk found - $raw");
                return;
            }
        }
        $res->content($decoded);

    } elsif (defined $len && $len ne '' && $len >= 0) {
        my $raw = $res->content;
        if (length $raw < $len) {
            if (!$head_req) {
                warn "WARNING: $name - response body truncated: ",
                     "$len expected, but got ", length $raw, "\n";
            }
        } elsif (length $raw > $len) {
            $left = substr $raw, $len;
            $res->content(substr $raw, 0, $len);
        }
    }

    return ($res, $raw_headers, $left);
}

sub send_request ($$$$@) {
    my ($req, $middle_delay, $timeout, $block, $tries) = @_;
    my $name = $block->name;

    # not in the real module: a peer closing early must not kill us
    local $SIG{PIPE} = 'IGNORE';

    my @req_bits = ref $req ? @$req : ({value => $req});

    my $head_req = 0;
    {
        my $r = join '', map { $_->{value} } @req_bits;
        $head_req = 1 if $r =~ /^\s*HEAD\s+/;
    }

    my $server_addr = $block->server_addr_for_client // $ServerAddr;

    my $sock = IO::Socket::INET->new(
        PeerAddr => $server_addr,
        PeerPort => $ServerPortForClient,
        Proto    => 'tcp',
        Blocking => 0,
        Timeout  => $timeout,
    );

    if (!defined $sock) {
        $tries ||= 1;
        my $total_tries = $TotalConnectingTimeouts ? 20 : 50;
        if ($tries <= $total_tries) {
            my $wait = (sleep_time() + sleep_time() * $tries) * $tries / 2;
            $wait = 1 if $wait >= 1;

            if (defined $Test::Nginx::Util::ChildPid) {
                my $errcode = $!;
                if (waitpid($Test::Nginx::Util::ChildPid, WNOHANG) == $Test::Nginx::Util::ChildPid
                    || !is_running($Test::Nginx::Util::ChildPid))
                {
                    warn "WARNING: Child process $Test::Nginx::Util::ChildPid is already gone.\n";
                    warn `tail -n20 $Test::Nginx::Util::ErrLogFile`;
                    undef $Test::Nginx::Util::ChildPid;
                    tb_no_ending();
                    fail("$name - Can't connect to $server_addr:$ServerPortForClient: $errcode (aborted)\n");
                    return;
                }
            }

            if ($wait >= 0.6) {
                warn "$name - Can't connect to $server_addr:$ServerPortForClient: $!\n";
                warn "\tRetry connecting after $wait sec\n" if $tries + 1 <= $total_tries;
            }

            sleep $wait;
            return send_request($req, $middle_delay, $timeout, $block, $tries + 1);
        }

        my $msg = "$name - Can't connect to $server_addr:$ServerPortForClient: $! (aborted)\n";
        if (++$TotalConnectingTimeouts < 3) {
            tb_no_ending();
            fail($msg);
        } else {
            bail_out($msg);
        }
        return;
    }

    my $first = shift @req_bits;
    my $ctx = {
        resp         => '',
        write_offset => 0,
        buf_size     => 1024,
        req_bits     => \@req_bits,
        write_buf    => $first->{value},
        middle_delay => $middle_delay,
        sock         => $sock,
        name         => $name,
        block        => $block,
    };

    my $readable_hdls = IO::Select->new($sock);
    my $writable_hdls = IO::Select->new($sock);
    my $err_hdls      = IO::Select->new($sock);

    while (1) {
        last if $readable_hdls->count == 0
             && $writable_hdls->count == 0
             && $err_hdls->count == 0;

        my ($new_readable, $new_writable, $new_err) =
            IO::Select->select($readable_hdls, $writable_hdls, $err_hdls, $timeout);

        if (!defined $new_err && !defined $new_readable && !defined $new_writable) {
            timeout_event_handler($ctx);
            last;
        }

        my $closed;

        for my $hdl (@$new_err) {
            next if !defined $hdl;
            error_event_handler($ctx);
            $_->remove($hdl) for grep { $_->exists($hdl) } $err_hdls, $readable_hdls, $writable_hdls;
            close $hdl;
            $closed = 1;
        }
        next if $closed;

        for my $hdl (@$new_readable) {
            next if !defined $hdl;
            if (!read_event_handler($ctx)) {
                # error or connection closed
                $_->remove($hdl) for grep { $_->exists($hdl) } $err_hdls, $readable_hdls, $writable_hdls;
                close $hdl;
                $closed = 1;
            }
        }
        next if $closed;

        for my $hdl (@$new_writable) {
            next if !defined $hdl;
            my $res = write_event_handler($ctx);
            if (!$res) {
                $_->remove($hdl) for grep { $_->exists($hdl) } $err_hdls, $readable_hdls, $writable_hdls;
                close $hdl;
            } elsif ($res == 2) {
                # all data has been written
                my $shutdown = $block->shutdown;
                if (defined $shutdown) {
                    $shutdown = 1 if $shutdown =~ /^$/s;
                    shutdown($sock, $shutdown);
                }
                $writable_hdls->remove($hdl) if $writable_hdls->exists($hdl);
            }
        }
    }

    return ($ctx->{resp}, $head_req);
}

sub timeout_event_handler ($) {
    my $ctx = shift;
    close($ctx->{sock});
    if (!defined $ctx->{block}->abort) {
        tb_no_ending();
        fail("ERROR: client socket timed out - $ctx->{name}\n");
    } else {
        sleep 0.005;
    }
}

sub error_event_handler ($) {
    warn "exception occurs on the socket: $!\n";
}

sub write_event_handler ($) {
    my ($ctx) = @_;
    while (1) {
        return undef if !defined $ctx->{write_buf};

        my $rest = length($ctx->{write_buf}) - $ctx->{write_offset};
        if ($rest > 0) {
            my $bytes;
            eval {
                $bytes = syswrite($ctx->{sock}, $ctx->{write_buf}, $rest, $ctx->{write_offset});
            };
            if ($@) {
                my $errmsg = "write failed: $@";
                warn "$errmsg\n";
                $ctx->{resp} = $errmsg;
                return undef;
            }
            if (!defined $bytes) {
                return 1 if $! == EAGAIN;
                my $errmsg = "write failed: $!";
                warn "$errmsg\n";
                $ctx->{resp} = $errmsg if !$ctx->{resp};
                return undef;
            }
            $ctx->{write_offset} += $bytes;

        } else {
            my $next_send = shift @{ $ctx->{req_bits} };
            return 2 if !defined $next_send;

            $ctx->{write_buf} = $next_send->{value};
            $ctx->{write_offset} = 0;

            my $wait_time;
            if (!defined $next_send->{delay_before}) {
                $wait_time = $ctx->{middle_delay} if defined $ctx->{middle_delay};
            } else {
                $wait_time = $next_send->{delay_before};
            }
            sleep $wait_time if $wait_time;
        }
    }
}

sub read_event_handler ($) {
    my ($ctx) = @_;
    while (1) {
        my $read_buf;
        my $bytes = sysread($ctx->{sock}, $read_buf, $ctx->{buf_size});
        if (!defined $bytes) {
            return 1 if $! == EAGAIN;
            warn "WARNING: $ctx->{name} - HTTP response read failure: $!";
            return undef;
        }
        return undef if $bytes == 0;    # connection closed
        $ctx->{resp} .= $read_buf;
    }
}

1;
