/* SPDX-License-Identifier: GPL-2.0-or-later */
/* extcap/agentless.c without sshd: tcpdump's pcap (both byte orders, µs
 * and ns) and dumpcap's pcapng, fed in any split, come out as the helper's
 * stream: SHB, one IDB "<node>:<iface>" saying how, EPBs whose
 * epb_packetid is common/packet-id.c's hash, and a closing ISB with the
 * program's drops; plus the option parsers, the refusals, the wrapper's
 * command and the probe's answer. The live path is
 * tests/integration/test-agentless-*.sh. */
#include <glib.h>
#include <glib/gstdio.h>
#include <sys/wait.h>
#include <unistd.h>
#include <string.h>

#include "agentless.h"
#include "ncap-error.h"
#include "packet-id.h"
#include "pcapng.h"

/* An Ethernet/IPv4/UDP frame numbered i. */
static GByteArray *
frame(guint i)
{
  static const uint8_t head[] = {
      0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0x08, 0x00,       /* eth */
      0x45, 0, 0, 40, 0, 1, 0, 0, 64, 17, 0, 0, 198, 51, 100, 1, /* ip */
      203, 0, 113, 2,
      0x30, 0x39, 0xb7, 0x98, 0, 20, 0, 0, /* udp 12345 -> 47000 */
  };
  GByteArray *f = g_byte_array_new();
  g_byte_array_append(f, head, sizeof head);
  char payload[13];
  g_snprintf(payload, sizeof payload, "seq-%08u", i);
  g_byte_array_append(f, (const uint8_t *)payload, 12);
  return f;
}

static uint32_t
sw(uint32_t v, bool swap)
{
  return swap ? GUINT32_SWAP_LE_BE(v) : v;
}

static void
put32(GByteArray *b, uint32_t v, bool swap)
{
  v = sw(v, swap);
  g_byte_array_append(b, (const uint8_t *)&v, 4);
}

/* A pcap file as tcpdump -w - writes it. */
static GByteArray *
pcap_file(guint n, bool swap, bool nanos)
{
  GByteArray *b = g_byte_array_new();
  put32(b, nanos ? 0xa1b23c4du : 0xa1b2c3d4u, swap);
  uint16_t ver[2] = {2, 4};
  if (swap) {
    ver[0] = GUINT16_SWAP_LE_BE(ver[0]);
    ver[1] = GUINT16_SWAP_LE_BE(ver[1]);
  }
  g_byte_array_append(b, (const uint8_t *)ver, 4);
  put32(b, 0, swap);
  put32(b, 0, swap);
  put32(b, 262144, swap);
  put32(b, 1, swap);
  for (guint i = 0; i < n; i++) {
    g_autoptr(GByteArray) f = frame(i);
    put32(b, 1700000000 + i, swap);
    put32(b, nanos ? 123456789 : 123456, swap);
    put32(b, f->len, swap);
    put32(b, f->len, swap);
    g_byte_array_append(b, f->data, f->len);
  }
  return b;
}

typedef struct {
  char *name, *description;
  guint packets;
  gboolean ids_ok;
  guint64 first_ts;
  gboolean have_drop;
  guint64 drop;
} Parsed;

static void
parse_out(GByteArray *out, Parsed *p)
{
  g_autoptr(NcapPcapngReader) r = ncap_pcapng_reader_new();
  gsize off = 0;
  p->ids_ok = TRUE;
  for (;;) {
    NcapPcapngBlock b;
    gsize used;
    g_autoptr(GError) e = NULL;
    NcapPcapngStatus st =
        ncap_pcapng_reader_next(r, out->data + off, out->len - off, &b, &used, &e);
    g_assert_no_error(e);
    if (st != NCAP_PCAPNG_BLOCK)
      break;
    off += used;
    if (b.type == NCAP_PCAPNG_BT_IDB) {
      NcapIdbParsed idb = {0};
      g_assert_true(ncap_pcapng_parse_idb(&b, &idb, NULL));
      g_assert_cmpuint(idb.tsresol, ==, 9);
      p->name = g_strdup(idb.name);
      p->description = g_strdup(idb.description);
      ncap_idb_parsed_clear(&idb);
    } else if (b.type == NCAP_PCAPNG_BT_EPB) {
      NcapEpbParsed e2 = {0};
      g_assert_true(ncap_pcapng_parse_epb(&b, &e2, NULL));
      g_autoptr(GByteArray) f = frame(p->packets);
      if (!e2.has_packetid || e2.packetid != ncap_packet_id(1, f->data, f->len) ||
          e2.caplen != f->len || memcmp(e2.data, f->data, f->len) != 0)
        p->ids_ok = FALSE;
      if (p->packets == 0)
        p->first_ts = e2.timestamp;
      p->packets++;
      ncap_epb_parsed_clear(&e2);
    } else if (b.type == NCAP_PCAPNG_BT_ISB) {
      NcapIsbParsed isb = {0};
      g_assert_true(ncap_pcapng_parse_isb(&b, &isb, NULL));
      p->have_drop = (isb.present & NCAP_ISB_HAS_IFDROP) != 0;
      p->drop = isb.ifdrop;
    }
  }
  g_assert_cmpuint(off, ==, out->len);
}

static void
parsed_clear(Parsed *p)
{
  g_free(p->name);
  g_free(p->description);
}

/* Feed `in` in chunks of `step` bytes. */
static GByteArray *
convert(GByteArray *in, gsize step, const char *stderr_text)
{
  g_autoptr(NcapAgentless) a =
      ncap_agentless_new("node1", "eth0", "udp", "tcpdump 4.99.3 via sudo");
  GByteArray *out = g_byte_array_new();
  for (gsize off = 0; off < in->len; off += step) {
    g_autoptr(GError) e = NULL;
    g_assert_true(ncap_agentless_feed(a, in->data + off, MIN(step, in->len - off), out, &e));
    g_assert_no_error(e);
  }
  ncap_agentless_put_isb(a, 1, out);
  ncap_agentless_finish(a, stderr_text, 2, out);
  return out;
}

static void
test_pcap(void)
{
  static const gsize steps[] = {1, 7, 16, 4096};
  for (int swap = 0; swap < 2; swap++)
    for (int nanos = 0; nanos < 2; nanos++)
      for (gsize s = 0; s < G_N_ELEMENTS(steps); s++) {
        g_autoptr(GByteArray) in = pcap_file(50, swap, nanos);
        g_autoptr(GByteArray) out =
            convert(in, steps[s],
                    "listening on eth0\n50 packets captured\n57 packets "
                    "received by filter\n7 packets dropped by kernel\n");
        Parsed p = {0};
        parse_out(out, &p);
        g_assert_cmpstr(p.name, ==, "node1:eth0");
        g_assert_true(g_str_has_prefix(p.description,
                                       "tcpdump 4.99.3 via sudo; no node "
                                       "policy or audit"));
        g_assert_cmpuint(p.packets, ==, 50);
        g_assert_true(p.ids_ok);
        g_assert_cmpuint(p.first_ts, ==,
                         1700000000ull * 1000000000ull +
                             (nanos ? 123456789ull : 123456000ull));
        g_assert_true(p.have_drop);
        g_assert_cmpuint(p.drop, ==, 7);
        parsed_clear(&p);
      }
}

static void
test_pcapng_dumpcap(void)
{
  g_autoptr(GByteArray) in = g_byte_array_new();
  NcapShbInfo shb = {.userappl = "Dumpcap (Wireshark) 4.0.17"};
  NcapIdbInfo idb = {.linktype = 1, .snaplen = 262144, .name = "eth0", .tsresol = 6};
  ncap_pcapng_put_shb(in, &shb);
  ncap_pcapng_put_idb(in, &idb);
  for (guint i = 0; i < 20; i++) {
    g_autoptr(GByteArray) f = frame(i);
    NcapEpb epb = {.timestamp = 1700000000123456ull + i, .caplen = f->len,
                   .origlen = f->len, .data = f->data};
    ncap_pcapng_put_epb(in, &epb);
  }
  NcapIsb isb = {.present = NCAP_ISB_HAS_IFRECV | NCAP_ISB_HAS_IFDROP,
                 .ifrecv = 23, .ifdrop = 3};
  ncap_pcapng_put_isb(in, &isb);
  g_autoptr(GByteArray) out = convert(in, 5, "");
  Parsed p = {0};
  parse_out(out, &p);
  g_assert_cmpstr(p.name, ==, "node1:eth0");
  g_assert_cmpuint(p.packets, ==, 20);
  g_assert_true(p.ids_ok);
  g_assert_cmpuint(p.first_ts, ==, 1700000000123456000ull);
  g_assert_true(p.have_drop);
  g_assert_cmpuint(p.drop, ==, 3);
  parsed_clear(&p);
}

/* dumpcap's if_tsresol comes from the node: finer than ns is divided, a
 * power of 2 of any exponent is scaled (no shift past 63). */
static guint64
first_ts_with_tsresol(uint8_t tsresol, guint64 ts)
{
  g_autoptr(GByteArray) in = g_byte_array_new();
  NcapShbInfo shb = {.userappl = "Dumpcap (Wireshark) 4.0.17"};
  NcapIdbInfo idb = {.linktype = 1, .snaplen = 262144, .name = "eth0",
                     .tsresol = tsresol};
  ncap_pcapng_put_shb(in, &shb);
  ncap_pcapng_put_idb(in, &idb);
  g_autoptr(GByteArray) f = frame(0);
  NcapEpb epb = {.timestamp = ts, .caplen = f->len, .origlen = f->len,
                 .data = f->data};
  ncap_pcapng_put_epb(in, &epb);
  g_autoptr(GByteArray) out = convert(in, 4096, "");
  Parsed p = {0};
  parse_out(out, &p);
  g_assert_cmpuint(p.packets, ==, 1);
  parsed_clear(&p);
  return p.first_ts;
}

static void
test_pcapng_tsresol(void)
{
  g_assert_cmpuint(first_ts_with_tsresol(12, 5000000000000ull), ==, 5000000000ull);
  g_assert_cmpuint(first_ts_with_tsresol(0x80 | 30, 1ull << 40), ==,
                   1024ull * 1000000000ull);
  g_assert_cmpuint(first_ts_with_tsresol(0x80 | 70, 1ull << 40), ==, 0);
  g_assert_cmpuint(first_ts_with_tsresol(127, 1ull << 40), ==, 0);
}

/* A periodic ISB is a promise to the merge: no later packet is older. The
 * client's clock (now_ns) is not the node's, so the ISB carries the
 * newest packet's time, however late the client's clock is. */
static void
test_isb_watermark(void)
{
  g_autoptr(GByteArray) in = pcap_file(3, false, false);
  g_autoptr(NcapAgentless) a =
      ncap_agentless_new("node1", "eth0", "udp", "tcpdump 4.99.3");
  g_autoptr(GByteArray) out = g_byte_array_new();
  g_autoptr(GError) e = NULL;
  g_assert_true(ncap_agentless_feed(a, in->data, in->len, out, &e));
  g_assert_no_error(e);
  gsize isb_at = out->len;
  ncap_agentless_put_isb(a, 1800000000ull * 1000000000ull, out);
  g_autoptr(NcapPcapngReader) r = ncap_pcapng_reader_new();
  gsize off = 0;
  NcapPcapngBlock b;
  gsize used;
  while (ncap_pcapng_reader_next(r, out->data + off, out->len - off, &b, &used,
                                 NULL) == NCAP_PCAPNG_BLOCK && off < isb_at)
    off += used;
  g_assert_cmpuint(b.type, ==, NCAP_PCAPNG_BT_ISB);
  NcapIsbParsed isb = {0};
  g_assert_true(ncap_pcapng_parse_isb(&b, &isb, NULL));
  g_assert_cmpuint(isb.timestamp, ==, 1700000002ull * 1000000000ull + 123456000ull);
  g_assert_cmpuint(isb.endtime, ==, 1800000000ull * 1000000000ull);
}

static void
test_killed_and_garbage(void)
{
  /* No stats on stderr (SIGKILL): an ISB without a drop count. */
  g_autoptr(GByteArray) in = pcap_file(3, false, false);
  g_autoptr(GByteArray) out = convert(in, 100, "");
  Parsed p = {0};
  parse_out(out, &p);
  g_assert_cmpuint(p.packets, ==, 3);
  g_assert_false(p.have_drop);
  parsed_clear(&p);

  g_autoptr(NcapAgentless) a = ncap_agentless_new("n", "lo", NULL, "tcpdump");
  g_autoptr(GByteArray) o = g_byte_array_new();
  g_autoptr(GError) e = NULL;
  g_assert_false(ncap_agentless_feed(a, (const uint8_t *)"tcpdump: bad", 12, o, &e));
  g_assert_error(e, NCAP_ERROR, NCAP_ERROR_REMOTE);
  /* Nothing before a header, not even an ISB. */
  g_autoptr(NcapAgentless) b = ncap_agentless_new("n", "lo", NULL, "tcpdump");
  ncap_agentless_finish(b, "", 1, o);
  g_assert_cmpuint(o->len, ==, 0);
}

static void
test_drops_text(void)
{
  guint64 d = 99;
  g_assert_true(ncap_agentless_parse_drops("1 packet captured\n1 packet received by filter\n0 packets dropped by kernel\n", &d));
  g_assert_cmpuint(d, ==, 0);
  g_assert_true(ncap_agentless_parse_drops("Packets received/dropped on interface 'lo': 10/4 (pcap:4/dumpcap:0/flushed:0/ps_ifdrop:0) (71.4%)", &d));
  g_assert_cmpuint(d, ==, 4);
  g_assert_false(ncap_agentless_parse_drops("tcpdump: lo: No such device", &d));
}

static void
test_options_and_command(void)
{
  NcapCaptureWith w;
  NcapRemotePriv pr;
  g_autoptr(GError) e = NULL;
  g_assert_true(ncap_capture_with_parse(NULL, &w, NULL) && w == NCAP_CAPTURE_WITH_AUTO);
  g_assert_true(ncap_capture_with_parse("tcpdump", &w, NULL) && w == NCAP_CAPTURE_WITH_TCPDUMP);
  g_assert_false(ncap_capture_with_parse("tshark", &w, &e));
  g_assert_error(e, NCAP_ERROR, NCAP_ERROR_INVALID);
  g_clear_error(&e);
  g_assert_true(ncap_remote_priv_parse("sudo", &pr, NULL) && pr == NCAP_REMOTE_PRIV_SUDO);
  g_assert_false(ncap_remote_priv_parse("su", &pr, &e));
  g_clear_error(&e);

  NcapCaptureOpts o = {.iface = (char *)"eth0", .bpf = (char *)"udp port 53",
                       .snaplen = 262144, .sample = 1, .packet_limit = 10,
                       .src_port = -1, .dst_port = -1, .proto = -1,
                       .stall_timeout = 7};
  g_autofree char *cmd = ncap_agentless_command("tcpdump", "/usr/bin/tcpdump",
                                                NCAP_REMOTE_PRIV_SUDO, &o);
  int argc;
  g_auto(GStrv) argv = NULL;
  g_assert_true(g_shell_parse_argv(cmd, &argc, &argv, NULL));
  g_assert_cmpstr(argv[0], ==, "sh");
  g_assert_cmpstr(argv[4], ==, "7");          /* stall */
  g_assert_cmpstr(argv[6], ==, "arg");        /* filter as tcpdump's last arg */
  g_assert_cmpstr(argv[7], ==, "(udp port 53)");
  g_assert_cmpstr(argv[8], ==, "sudo");
  g_assert_cmpstr(argv[9], ==, "-n");
  g_assert_cmpstr(argv[11], ==, "/usr/bin/tcpdump");
  g_assert_true(strstr(cmd, "'-c' '10'") != NULL);
  g_assert_true(strstr(argv[2], "SSH_CONNECTION") != NULL);

  g_assert_true(ncap_agentless_check_opts(&o, NULL));
  o.sample = 10;
  g_assert_false(ncap_agentless_check_opts(&o, &e));
  g_assert_true(strstr(e->message, "--sample needs nodecap-helper") != NULL);
  g_clear_error(&e);
  o.sample = 1;
  o.byte_limit = 5;
  g_assert_false(ncap_agentless_check_opts(&o, &e));
  g_clear_error(&e);

  g_assert_true(ncap_agentless_priv_failure("sudo: a password is required\n",
                                            NCAP_REMOTE_PRIV_SUDO, "n1", &e));
  g_assert_error(e, NCAP_ERROR, NCAP_ERROR_PRIV);
  g_assert_true(g_str_has_prefix(e->message, "n1: sudo on the node asks for a password"));
  g_clear_error(&e);
  g_assert_false(ncap_agentless_priv_failure("tcpdump: lo: x", NCAP_REMOTE_PRIV_SUDO, "n1", &e));
  /* none: the real programs' words for an account without privilege. */
  g_assert_true(ncap_agentless_priv_failure(
      "tcpdump: lo: You don't have permission to perform this capture on that device\n"
      "(socket: Operation not permitted)\n",
      NCAP_REMOTE_PRIV_NONE, "n1", &e));
  g_assert_error(e, NCAP_ERROR, NCAP_ERROR_REMOTE);
  g_assert_cmpstr(e->message, ==,
                  "n1: tcpdump: lo: You don't have permission to perform this capture on "
                  "that device: the SSH user has no capture privilege on the node; use "
                  "--remote-priv sudo or doas, or give the program cap_net_raw,cap_net_admin");
  g_clear_error(&e);
  g_assert_true(ncap_agentless_priv_failure(
      "Capturing on 'Loopback: lo'\ndumpcap: You do not have permission to capture on "
      "device \"lo\".\n(socket: Operation not permitted)\nPlease check ...\n",
      NCAP_REMOTE_PRIV_NONE, "n1", &e));
  g_assert_true(g_str_has_prefix(
      e->message, "n1: dumpcap: You do not have permission to capture on device \"lo\": "));
  g_clear_error(&e);
  g_assert_false(ncap_agentless_priv_failure("tcpdump: lo: No such device exists\n",
                                             NCAP_REMOTE_PRIV_NONE, "n1", &e));
  g_assert_false(ncap_agentless_priv_failure("sudo: a password is required\n",
                                             NCAP_REMOTE_PRIV_NONE, "n1", &e));
  g_assert_no_error(e);
}

static void
test_probe(void)
{
  NcapAgentlessProbe p = {0};
  g_autoptr(GError) e = NULL;
  ncap_agentless_probe_parse("helper=\ndumpcap=\ntcpdump=/usr/sbin/tcpdump\n"
                             "tcpdump_version=tcpdump version 4.99.3\n", &p);
  g_assert_null(p.helper);
  g_assert_cmpstr(p.tcpdump, ==, "/usr/sbin/tcpdump");
  g_assert_cmpstr(ncap_agentless_choose(NCAP_CAPTURE_WITH_AUTO, &p, "n", NULL), ==, "tcpdump");
  g_assert_null(ncap_agentless_choose(NCAP_CAPTURE_WITH_DUMPCAP, &p, "n", &e));
  g_assert_error(e, NCAP_ERROR, NCAP_ERROR_NO_PROGRAM);
  g_assert_true(strstr(e->message, "no capture program on the node") != NULL);
  ncap_agentless_probe_clear(&p);
  g_autofree char *cmd = ncap_agentless_probe_command("/opt/x/nodecap-helper");
  g_assert_true(strstr(cmd, "'/opt/x/nodecap-helper'") != NULL);
}

/* The wrapper on a node without mktemp: the heartbeat file goes into a
 * fresh 0700 directory under $TMPDIR, the program's exit status comes
 * back, and nothing is left behind; with mktemp the same. Run with the
 * real sh and a PATH holding only the tools the wrapper uses. */
static void
run_wrapper(gboolean with_mktemp)
{
  g_autofree char *dir = g_dir_make_tmp("test-agentless-XXXXXX", NULL);
  g_autofree char *bin = g_build_filename(dir, "bin", NULL);
  g_autofree char *tmpd = g_build_filename(dir, "tmp", NULL);
  g_autofree char *prog = g_build_filename(dir, "prog", NULL);
  g_assert_cmpint(g_mkdir(bin, 0755), ==, 0);
  g_assert_cmpint(g_mkdir(tmpd, 0755), ==, 0);
  const char *tools[] = {"sh", "wc", "sleep", "rm", "rmdir", "mkdir", "date", "mktemp"};
  for (guint i = 0; i < G_N_ELEMENTS(tools); i++) {
    if (!with_mktemp && strcmp(tools[i], "mktemp") == 0)
      continue;
    g_autofree char *real = g_find_program_in_path(tools[i]);
    g_assert_nonnull(real);
    g_autofree char *link = g_build_filename(bin, tools[i], NULL);
    g_assert_cmpint(symlink(real, link), ==, 0);
  }
  /* The program shows what the wrapper made in $TMPDIR while it runs. */
  g_assert_true(g_file_set_contents(
      prog, "#!/bin/sh\nfor f in \"$TMPDIR\"/*; do /usr/bin/stat -c '%F %a' \"$f\"; done\nexit 3\n",
      -1, NULL));
  g_assert_cmpint(g_chmod(prog, 0755), ==, 0);

  NcapCaptureOpts o = {.iface = (char *)"lo", .snaplen = 262144, .sample = 1,
                       .src_port = -1, .dst_port = -1, .proto = -1, .stall_timeout = 7};
  g_autofree char *cmd = ncap_agentless_command("tcpdump", prog, NCAP_REMOTE_PRIV_NONE, &o);
  g_auto(GStrv) argv = NULL;
  g_assert_true(g_shell_parse_argv(cmd, NULL, &argv, NULL));
  g_autofree char *path_env = g_strdup_printf("PATH=%s", bin);
  g_autofree char *tmp_env = g_strdup_printf("TMPDIR=%s", tmpd);
  char *envp[] = {path_env, tmp_env, NULL};
  GPid pid;
  int in_fd, out_fd;
  g_autoptr(GError) e = NULL;
  g_assert_true(g_spawn_async_with_pipes(NULL, argv, envp,
                                         G_SPAWN_SEARCH_PATH_FROM_ENVP | G_SPAWN_DO_NOT_REAP_CHILD,
                                         NULL, NULL, &pid, &in_fd, &out_fd, NULL, &e));
  g_assert_no_error(e);
  GString *out = g_string_new(NULL);
  char buf[256];
  ssize_t n;
  while ((n = read(out_fd, buf, sizeof buf)) > 0)
    g_string_append_len(out, buf, n);
  int status = 0;
  g_assert_cmpint(waitpid(pid, &status, 0), ==, pid);
  close(in_fd);
  close(out_fd);
  g_assert_true(WIFEXITED(status));
  g_assert_cmpint(WEXITSTATUS(status), ==, 3);
  g_assert_cmpstr(out->str, ==, with_mktemp ? "regular empty file 600\n" : "directory 700\n");
  g_string_free(out, TRUE);
  g_autoptr(GDir) d = g_dir_open(tmpd, 0, NULL);
  const char *left = g_dir_read_name(d);
  g_assert_cmpstr(left, ==, NULL); /* heartbeat file (and directory) removed */
  g_autofree char *rm = g_strdup_printf("rm -rf '%s'", dir);
  g_assert_cmpint(system(rm), ==, 0);
}

static void
test_wrapper_without_mktemp(void)
{
  run_wrapper(FALSE);
  run_wrapper(TRUE);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/agentless/pcap", test_pcap);
  g_test_add_func("/agentless/pcapng-dumpcap", test_pcapng_dumpcap);
  g_test_add_func("/agentless/pcapng-tsresol", test_pcapng_tsresol);
  g_test_add_func("/agentless/isb-watermark", test_isb_watermark);
  g_test_add_func("/agentless/killed-and-garbage", test_killed_and_garbage);
  g_test_add_func("/agentless/drops-text", test_drops_text);
  g_test_add_func("/agentless/options-and-command", test_options_and_command);
  g_test_add_func("/agentless/probe", test_probe);
  g_test_add_func("/agentless/wrapper-without-mktemp", test_wrapper_without_mktemp);
  return g_test_run();
}
