/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Helper-less capture: see agentless.h. */
#include "agentless.h"

#include <string.h>

#include "ncap-error.h"
#include "ncap-text.h"
#include "packet-id.h"
#include "pcapng.h"

/* ---- options ---------------------------------------------------------- */

gboolean
ncap_capture_with_parse(const char *text, NcapCaptureWith *out,
                        GError **error)
{
  static const struct {
    const char *name;
    NcapCaptureWith v;
  } names[] = {{"auto", NCAP_CAPTURE_WITH_AUTO},
               {"helper", NCAP_CAPTURE_WITH_HELPER},
               {"dumpcap", NCAP_CAPTURE_WITH_DUMPCAP},
               {"tcpdump", NCAP_CAPTURE_WITH_TCPDUMP}};
  if (text == NULL || *text == '\0') {
    *out = NCAP_CAPTURE_WITH_AUTO;
    return TRUE;
  }
  for (gsize i = 0; i < G_N_ELEMENTS(names); i++)
    if (strcmp(text, names[i].name) == 0) {
      *out = names[i].v;
      return TRUE;
    }
  g_set_error(error, NCAP_ERROR, NCAP_ERROR_INVALID,
              "--capture-with %s: must be auto, helper, dumpcap or tcpdump",
              text);
  return FALSE;
}

gboolean
ncap_remote_priv_parse(const char *text, NcapRemotePriv *out, GError **error)
{
  if (text == NULL || *text == '\0' || strcmp(text, "none") == 0)
    *out = NCAP_REMOTE_PRIV_NONE;
  else if (strcmp(text, "sudo") == 0)
    *out = NCAP_REMOTE_PRIV_SUDO;
  else if (strcmp(text, "doas") == 0)
    *out = NCAP_REMOTE_PRIV_DOAS;
  else {
    g_set_error(error, NCAP_ERROR, NCAP_ERROR_INVALID,
                "--remote-priv %s: must be none, sudo or doas", text);
    return FALSE;
  }
  return TRUE;
}

const char *
ncap_remote_priv_name(NcapRemotePriv priv)
{
  return priv == NCAP_REMOTE_PRIV_SUDO   ? "sudo"
         : priv == NCAP_REMOTE_PRIV_DOAS ? "doas"
                                         : "none";
}

gboolean
ncap_agentless_check_opts(const NcapCaptureOpts *opts, GError **error)
{
  const char *what = NULL;
  if (opts->sample > 1)
    what = opts->sample_by_hash ? "--sample with --sample-by hash"
                                : "--sample";
  else if (opts->byte_limit > 0)
    what = "--byte-limit";
  if (what == NULL)
    return TRUE;
  g_set_error(error, NCAP_ERROR, NCAP_ERROR_INVALID,
              "%s needs nodecap-helper on the node (without it every packet "
              "would still cross the SSH link); drop the option or use "
              "--capture-with helper",
              what);
  return FALSE;
}

/* ---- the probe -------------------------------------------------------- */

char *
ncap_agentless_probe_command(const char *helper)
{
  /* sbin directories are often not in a non-interactive PATH. */
  static const char script[] =
      "for p in \"$1\" dumpcap tcpdump; do"
      " c=$(command -v \"$p\" 2>/dev/null) ||"
      " for d in /usr/sbin /sbin /usr/local/sbin /usr/local/bin; do"
      " if [ -x \"$d/$p\" ]; then c=$d/$p; break; fi; done;"
      " case $p in dumpcap|tcpdump) n=$p;; *) n=helper;; esac;"
      " echo \"$n=$c\"; c=;"
      " done;"
      " t=$(command -v tcpdump || ls /usr/sbin/tcpdump /sbin/tcpdump 2>/dev/null | head -n1);"
      " [ -n \"$t\" ] && echo \"tcpdump_version=$(\"$t\" --version 2>&1 | head -n1)\";"
      " d=$(command -v dumpcap || ls /usr/sbin/dumpcap 2>/dev/null | head -n1);"
      " [ -n \"$d\" ] && echo \"dumpcap_version=$(\"$d\" -v 2>&1 | head -n1)\";"
      " exit 0";
  g_autofree char *qs = g_shell_quote(script);
  g_autofree char *qh = g_shell_quote(helper);
  return g_strdup_printf("sh -c %s nodecap-probe %s", qs, qh);
}

void
ncap_agentless_probe_clear(NcapAgentlessProbe *p)
{
  g_free(p->helper);
  g_free(p->dumpcap);
  g_free(p->tcpdump);
  g_free(p->dumpcap_version);
  g_free(p->tcpdump_version);
  memset(p, 0, sizeof *p);
}

void
ncap_agentless_probe_parse(const char *out, NcapAgentlessProbe *p)
{
  g_auto(GStrv) lines = g_strsplit(out ? out : "", "\n", -1);
  for (char **l = lines; *l; l++) {
    char *eq = strchr(*l, '=');
    if (eq == NULL)
      continue;
    *eq = '\0';
    char *v = g_strstrip(eq + 1);
    char **slot = strcmp(*l, "helper") == 0            ? &p->helper
                  : strcmp(*l, "dumpcap") == 0         ? &p->dumpcap
                  : strcmp(*l, "tcpdump") == 0         ? &p->tcpdump
                  : strcmp(*l, "dumpcap_version") == 0 ? &p->dumpcap_version
                  : strcmp(*l, "tcpdump_version") == 0 ? &p->tcpdump_version
                                                       : NULL;
    if (slot == NULL || *v == '\0')
      continue;
    g_free(*slot);
    *slot = g_strdup(v);
  }
}

const char *
ncap_agentless_choose(NcapCaptureWith with, const NcapAgentlessProbe *p,
                      const char *node, GError **error)
{
  if ((with == NCAP_CAPTURE_WITH_DUMPCAP || with == NCAP_CAPTURE_WITH_AUTO ||
       with == NCAP_CAPTURE_WITH_AGENTLESS) &&
      p->dumpcap != NULL)
    return "dumpcap";
  if ((with == NCAP_CAPTURE_WITH_TCPDUMP || with == NCAP_CAPTURE_WITH_AUTO ||
       with == NCAP_CAPTURE_WITH_AGENTLESS) &&
      p->tcpdump != NULL)
    return "tcpdump";
  g_set_error(error, NCAP_ERROR, NCAP_ERROR_NO_PROGRAM,
              "%s: no capture program on the node (%s not found in PATH, "
              "/usr/sbin or /sbin)",
              node,
              with == NCAP_CAPTURE_WITH_DUMPCAP   ? "dumpcap"
              : with == NCAP_CAPTURE_WITH_TCPDUMP ? "tcpdump"
                                                  : "nodecap-helper, dumpcap "
                                                    "and tcpdump");
  return NULL;
}

/* ---- the command ------------------------------------------------------ */

/* $1 stall s, $2 time limit s (0 none), $3 "opt" (dumpcap -f FILTER) or
 * "arg" (tcpdump FILTER), $4 filter, then the program's argv.
 * - The program's stdin is /dev/null, its stdout the channel.
 * - A reader copies the channel's stdin (heartbeats) to a file and, at EOF
 *   (the channel closed, the client gone), ends the program.
 * - A watchdog ends it when the file stopped growing for $1 s (a cut
 *   network: no heartbeat) or at the time limit; it ends within 1 s of the
 *   program.
 * - Our own SSH connection (SSH_CONNECTION) is left out of the filter, as
 *   the helper does.
 * - The heartbeat file is mktemp's; a node without mktemp gets a fresh
 *   0700 directory (mkdir fails on anything already there, a planted
 *   symlink included), never a guessable file name in a shared /tmp.
 * - An end we asked for is a clean one: tcpdump and dumpcap exit 0 on
 *   SIGTERM, but Debian's doas (PAM) ends its child and then dies of the
 *   SIGTERM itself (143); a line "t" in the heartbeat file says the TERM
 *   was ours (no second file, read with builtins only). */
static const char wrapper[] =
    "st=$1 tl=$2 fm=$3 f=$4; shift 4\n"
    "if [ -n \"${SSH_CONNECTION:-}\" ]; then\n"
    "  set -f; set -- $SSH_CONNECTION \"$@\"; set +f\n"
    "  ex=\"not (host $1 and host $3 and tcp port $2 and tcp port $4)\"\n"
    "  shift 4\n"
    "  if [ -n \"$f\" ]; then f=\"($f) and $ex\"; else f=$ex; fi\n"
    "fi\n"
    "hd=\n"
    "hb=$(mktemp 2>/dev/null) || {\n"
    "  hd=${TMPDIR:-/tmp}/nodecap-hb.$$.$(date +%s 2>/dev/null)\n"
    "  mkdir -m 700 \"$hd\" || exit 125; hb=$hd/hb; }\n"
    ": >\"$hb\"\n"
    "exec 3<&0\n"
    "if [ \"$fm\" = opt ]; then \"$@\" -f \"$f\" </dev/null 3<&- &\n"
    "else \"$@\" \"$f\" </dev/null 3<&- & fi\n"
    "p=$!\n"
    "{ while IFS= read -r _; do echo >>\"$hb\"; done; echo t >>\"$hb\"; kill -TERM $p; }"
    " <&3 >/dev/null 2>&1 &\n"
    "r=$!\n"
    "exec 3<&-\n"
    "{ n=0 a=0 l=0; while [ -d /proc/$p ]; do sleep 1;"
    " n=$((n+1)); s=$(wc -c <\"$hb\");"
    " if [ \"$s\" = \"$l\" ]; then a=$((a+1)); else a=0; l=$s; fi;"
    " if [ \"$a\" -ge \"$st\" ] || { [ \"$tl\" -gt 0 ] && [ \"$n\" -ge \"$tl\" ]; };"
    " then echo t >>\"$hb\"; kill -TERM $p; sleep 3; kill -KILL $p; fi; done; }"
    " </dev/null >/dev/null 2>&1 &\n"
    "w=$!\n"
    "wait $p; rc=$?\n"
    "if [ $rc -eq 143 ]; then while IFS= read -r x; do"
    " [ \"$x\" != t ] || rc=0; done <\"$hb\"; fi\n"
    "kill $r $w 2>/dev/null; rm -f \"$hb\"; [ -z \"$hd\" ] || rmdir \"$hd\"\n"
    "exit $rc\n";

static void
add(GPtrArray *argv, const char *s)
{
  g_ptr_array_add(argv, g_strdup(s));
}

char *
ncap_agentless_command(const char *program, const char *path,
                       NcapRemotePriv priv, const NcapCaptureOpts *opts)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func(g_free);
  g_autofree char *filter = ncap_capture_opts_filter(opts);
  bool dumpcap = strcmp(program, "dumpcap") == 0;
  guint64 tl = opts->time_limit;

  add(argv, "sh");
  add(argv, "-c");
  add(argv, wrapper);
  add(argv, "nodecap-agentless");
  guint64 stall = opts->stall_timeout ? opts->stall_timeout : 30;
  g_ptr_array_add(argv, g_strdup_printf(
                            "%" G_GUINT64_FORMAT,
                            MAX(stall, 3 * NCAP_AGENTLESS_HEARTBEAT_S)));
  g_ptr_array_add(argv, g_strdup_printf("%" G_GUINT64_FORMAT, tl));
  add(argv, dumpcap ? "opt" : "arg");
  add(argv, filter);
  if (priv == NCAP_REMOTE_PRIV_SUDO) {
    add(argv, "sudo");
    add(argv, "-n");
    add(argv, "--");
  } else if (priv == NCAP_REMOTE_PRIV_DOAS) {
    add(argv, "doas");
    add(argv, "-n");
  }
  add(argv, path);
  add(argv, "-i");
  add(argv, opts->iface);
  add(argv, "-s");
  g_ptr_array_add(argv, g_strdup_printf("%u", opts->snaplen));
  if (opts->packet_limit > 0) {
    add(argv, "-c");
    g_ptr_array_add(argv,
                    g_strdup_printf("%" G_GUINT64_FORMAT, opts->packet_limit));
  }
  if (dumpcap) {
    /* pcapng to stdout; its ISB carries the drops. -B in MiB (as the
     * helper's default). */
    add(argv, "-q");
    add(argv, "-B");
    add(argv, "64");
    add(argv, "-w");
    add(argv, "-");
  } else {
    /* -U: each packet leaves once libpcap hands it over; -B in KiB: 64
     * MiB of kernel buffer, the helper's default (remote/capture.c). No
     * --immediate-mode: libpcap then leaves TPACKET_V3 for a ring of
     * snaplen-sized frames (a few hundred at 262144), which lost 71 % of
     * a 200k-packet burst in bench/run.sh. */
    add(argv, "-U");
    add(argv, "-B");
    add(argv, "65536");
    add(argv, "-n");
    add(argv, "-w");
    add(argv, "-");
  }
  GString *cmd = g_string_new(NULL);
  for (guint i = 0; i < argv->len; i++) {
    g_autofree char *q = g_shell_quote(g_ptr_array_index(argv, i));
    if (i > 0)
      g_string_append_c(cmd, ' ');
    g_string_append(cmd, q);
  }
  return g_string_free(cmd, FALSE);
}

/* Without sudo/doas the login user's own program may not open the device:
 * tcpdump says "tcpdump: lo: You don't have permission to perform this
 * capture on that device" and then "(socket: Operation not permitted)",
 * dumpcap 'You do not have permission to capture on device "lo".' and a
 * page of advice: quote the line that says so, not the last one. */
static gboolean
no_permission(const char *err, const char *node, GError **error)
{
  g_auto(GStrv) lines = g_strsplit(err, "\n", -1);
  for (char **l = lines; *l; l++) {
    if (strstr(*l, "have permission to") == NULL)
      continue;
    g_autofree char *line = ncap_text_clean(g_strstrip(*l), -1,
                                            NCAP_TEXT_LINE_MAX);
    gsize n = strlen(line);
    if (n > 0 && line[n - 1] == '.')
      line[n - 1] = '\0';
    g_set_error(error, NCAP_ERROR, NCAP_ERROR_REMOTE,
                "%s: %s: the SSH user has no capture privilege on the node; "
                "use --remote-priv sudo or doas, or give the program "
                "cap_net_raw,cap_net_admin",
                node, line);
    return TRUE;
  }
  return FALSE;
}

gboolean
ncap_agentless_priv_failure(const char *err, NcapRemotePriv priv,
                            const char *node, GError **error)
{
  if (err == NULL)
    return FALSE;
  if (priv == NCAP_REMOTE_PRIV_NONE)
    return no_permission(err, node, error);
  /* sudo -n: "sudo: a password is required"; doas -n: "doas:
   * Authorization required" / "doas: a password is required". */
  if (strstr(err, "password is required") == NULL &&
      strstr(err, "Authorization required") == NULL &&
      strstr(err, "Authentication required") == NULL)
    return FALSE;
  g_set_error(error, NCAP_ERROR, NCAP_ERROR_PRIV,
              "%s: %s on the node asks for a password (nodecap never types "
              "one): allow the capture program without a password "
              "(NOPASSWD / nopass) or use --remote-priv none",
              node, ncap_remote_priv_name(priv));
  return TRUE;
}

gboolean
ncap_agentless_parse_drops(const char *err, guint64 *drops)
{
  const char *p;
  if (err == NULL)
    return FALSE;
  /* tcpdump: "123 packets dropped by kernel" */
  if ((p = strstr(err, " packets dropped by kernel")) != NULL ||
      (p = strstr(err, " packet dropped by kernel")) != NULL) {
    const char *s = p;
    while (s > err && g_ascii_isdigit(s[-1]))
      s--;
    if (s < p) {
      *drops = g_ascii_strtoull(s, NULL, 10);
      return TRUE;
    }
  }
  /* dumpcap: "Packets received/dropped on interface 'lo': 10/2 ..." */
  if ((p = strstr(err, "Packets received/dropped on interface")) != NULL &&
      (p = strstr(p, "': ")) != NULL && (p = strchr(p, '/')) != NULL) {
    *drops = g_ascii_strtoull(p + 1, NULL, 10);
    return TRUE;
  }
  return FALSE;
}

/* ---- the converter ---------------------------------------------------- */

typedef enum { IN_UNKNOWN, IN_PCAP, IN_PCAPNG } InFormat;

struct NcapAgentless {
  char *node, *iface, *filter, *how;
  InFormat format;
  GByteArray *pending;      /* input not yet a whole record/block */
  bool header_done;
  /* pcap */
  bool swapped, nanos;
  uint32_t linktype, snaplen;
  /* pcapng (dumpcap) */
  NcapPcapngReader *reader;
  bool have_isb_drops;
  guint64 isb_drops, isb_recv;
  /* counts */
  guint64 packets, start_ns, last_ns;
};

NcapAgentless *
ncap_agentless_new(const char *node, const char *iface, const char *filter,
                   const char *how)
{
  NcapAgentless *a = g_new0(NcapAgentless, 1);
  a->node = g_strdup(node);
  a->iface = g_strdup(iface);
  a->filter = g_strdup(filter);
  a->how = g_strdup(how);
  a->pending = g_byte_array_new();
  return a;
}

void
ncap_agentless_free(NcapAgentless *a)
{
  if (a == NULL)
    return;
  g_free(a->node);
  g_free(a->iface);
  g_free(a->filter);
  g_free(a->how);
  g_byte_array_free(a->pending, TRUE);
  if (a->reader)
    ncap_pcapng_reader_free(a->reader);
  g_free(a);
}

guint64
ncap_agentless_packets(const NcapAgentless *a)
{
  return a->packets;
}

static uint32_t
rd32(const uint8_t *p, bool swapped)
{
  uint32_t v;
  memcpy(&v, p, 4);
  return swapped ? GUINT32_SWAP_LE_BE(v) : v;
}

static void
put_header(NcapAgentless *a, uint16_t linktype, uint32_t snaplen,
           GByteArray *out)
{
  g_autofree char *name = g_strdup_printf("%s:%s", a->node, a->iface);
  g_autofree char *desc = g_strdup_printf(
      "%s; no node policy or audit; nodecap agentless, ids computed by the "
      "client",
      a->how);
  NcapShbInfo shb = {.userappl = "nodecap " PROJECT_VERSION " (agentless)"};
  NcapIdbInfo idb = {
      .linktype = linktype,
      .snaplen = snaplen,
      .name = name,
      .description = desc,
      .filter = a->filter,
      .tsresol = 9,
  };
  ncap_pcapng_put_shb(out, &shb);
  ncap_pcapng_put_idb(out, &idb);
  a->header_done = true;
  a->linktype = linktype;
}

static void
put_packet(NcapAgentless *a, guint64 ts_ns, const uint8_t *data,
           uint32_t caplen, uint32_t origlen, GByteArray *out)
{
  NcapEpb epb = {
      .interface_id = 0,
      .timestamp = ts_ns,
      .caplen = caplen,
      .origlen = origlen,
      .data = data,
      .has_packetid = true,
      .packetid = ncap_packet_id(a->linktype, data, caplen),
  };
  ncap_pcapng_put_epb(out, &epb);
  if (a->packets == 0)
    a->start_ns = ts_ns;
  a->packets++;
  a->last_ns = ts_ns;
}

static gboolean
feed_pcap(NcapAgentless *a, GByteArray *out, GError **error)
{
  gsize off = 0;
  const uint8_t *d = a->pending->data;
  gsize len = a->pending->len;

  if (!a->header_done) {
    if (len < 24)
      return TRUE;
    uint32_t magic;
    memcpy(&magic, d, 4);
    a->swapped = magic == 0xd4c3b2a1u || magic == 0x4d3cb2a1u;
    a->nanos = magic == 0xa1b23c4du || magic == 0x4d3cb2a1u;
    a->snaplen = rd32(d + 16, a->swapped);
    put_header(a, (uint16_t)(rd32(d + 20, a->swapped) & 0xffff), a->snaplen,
               out);
    off = 24;
  }
  while (len - off >= 16) {
    const uint8_t *h = d + off;
    uint32_t sec = rd32(h, a->swapped), frac = rd32(h + 4, a->swapped);
    uint32_t caplen = rd32(h + 8, a->swapped), origlen = rd32(h + 12, a->swapped);
    if (caplen > 262144 + 256 || (a->snaplen && caplen > a->snaplen + 256)) {
      g_set_error(error, NCAP_ERROR, NCAP_ERROR_REMOTE,
                  "%s: the capture program sent a bad pcap record (%u bytes)",
                  a->node, caplen);
      return FALSE;
    }
    if (len - off - 16 < caplen)
      break;
    guint64 ts = (guint64)sec * 1000000000u + (a->nanos ? frac : (guint64)frac * 1000u);
    put_packet(a, ts, h + 16, caplen, origlen, out);
    off += 16 + caplen;
  }
  g_byte_array_remove_range(a->pending, 0, (guint)off);
  return TRUE;
}

static guint64
to_ns(guint64 ts, uint8_t tsresol)
{
  if (tsresol == 9)
    return ts;
  if (tsresol & 0x80) { /* a power of 2: rare, keep it simple */
    /* The exponent comes from the node (0-127): no shift past 63, and no
     * double out of a guint64's range. */
    double units = 1.0;
    for (int i = 0; i < (tsresol & 0x7f); i++)
      units *= 2.0;
    double ns = (double)ts * 1e9 / units;
    return ns >= 18446744073709551615.0 ? G_MAXUINT64 : (guint64)ns;
  }
  if (tsresol > 9) { /* finer than ns (ps, ...): divide */
    guint64 div = 1;
    for (int i = 9; i < tsresol; i++) {
      if (div > G_MAXUINT64 / 10)
        return 0;
      div *= 10;
    }
    return ts / div;
  }
  guint64 mul = 1;
  for (int i = tsresol; i < 9; i++)
    mul *= 10;
  return ts * mul;
}

static gboolean
feed_pcapng(NcapAgentless *a, GByteArray *out, GError **error)
{
  gsize off = 0;
  if (a->reader == NULL)
    a->reader = ncap_pcapng_reader_new();
  for (;;) {
    NcapPcapngBlock b;
    gsize used = 0;
    g_autoptr(GError) local = NULL;
    NcapPcapngStatus st = ncap_pcapng_reader_next(
        a->reader, a->pending->data + off, a->pending->len - off, &b, &used,
        &local);
    if (st == NCAP_PCAPNG_NEED_MORE)
      break;
    if (st == NCAP_PCAPNG_ERROR) {
      g_set_error(error, NCAP_ERROR, NCAP_ERROR_REMOTE,
                  "%s: the capture program's pcapng is malformed: %s",
                  a->node, local->message);
      return FALSE;
    }
    off += used;
    if (b.type == NCAP_PCAPNG_BT_IDB && !a->header_done) {
      NcapIdbParsed idb = {0};
      if (ncap_pcapng_parse_idb(&b, &idb, NULL)) {
        a->snaplen = idb.snaplen;
        put_header(a, idb.linktype, idb.snaplen, out);
      }
      ncap_idb_parsed_clear(&idb);
    } else if (b.type == NCAP_PCAPNG_BT_EPB && a->header_done) {
      NcapEpbParsed e = {0};
      /* Only the first interface: one -i was asked for. */
      if (ncap_pcapng_parse_epb(&b, &e, NULL) && e.interface_id == 0)
        put_packet(a,
                   to_ns(e.timestamp,
                         ncap_pcapng_reader_tsresol(a->reader, 0)),
                   e.data, e.caplen, e.origlen, out);
      ncap_epb_parsed_clear(&e);
    } else if (b.type == NCAP_PCAPNG_BT_ISB) {
      NcapIsbParsed isb = {0};
      if (ncap_pcapng_parse_isb(&b, &isb, NULL) && isb.interface_id == 0) {
        if (isb.present & NCAP_ISB_HAS_IFDROP) {
          a->have_isb_drops = true;
          a->isb_drops = isb.ifdrop;
        }
        if (isb.present & NCAP_ISB_HAS_IFRECV)
          a->isb_recv = isb.ifrecv;
      }
    }
  }
  g_byte_array_remove_range(a->pending, 0, (guint)off);
  return TRUE;
}

gboolean
ncap_agentless_feed(NcapAgentless *a, const uint8_t *data, gsize len,
                    GByteArray *out, GError **error)
{
  g_byte_array_append(a->pending, data, (guint)len);
  if (a->format == IN_UNKNOWN) {
    if (a->pending->len < 4)
      return TRUE;
    uint32_t magic;
    memcpy(&magic, a->pending->data, 4);
    if (magic == NCAP_PCAPNG_BT_SHB)
      a->format = IN_PCAPNG;
    else if (magic == 0xa1b2c3d4u || magic == 0xd4c3b2a1u ||
             magic == 0xa1b23c4du || magic == 0x4d3cb2a1u)
      a->format = IN_PCAP;
    else {
      g_set_error(error, NCAP_ERROR, NCAP_ERROR_REMOTE,
                  "%s: the capture program's output is neither pcap nor "
                  "pcapng",
                  a->node);
      return FALSE;
    }
  }
  return a->format == IN_PCAP ? feed_pcap(a, out, error)
                              : feed_pcapng(a, out, error);
}

void
ncap_agentless_put_isb(NcapAgentless *a, guint64 now_ns, GByteArray *out)
{
  if (!a->header_done)
    return;
  /* The ISB's timestamp is a promise to the merge (common/merge.h): no
   * later packet is older. The client's clock is not the node's, and
   * tcpdump/dumpcap hand packets over up to a ring block's time-out late,
   * so only the newest packet written can vouch; endtime stays now. */
  NcapIsb isb = {
      .interface_id = 0,
      .timestamp = a->last_ns,
      .present = NCAP_ISB_HAS_IFRECV,
      .ifrecv = a->packets,
  };
  if (a->packets > 0) {
    isb.present |= NCAP_ISB_HAS_STARTTIME | NCAP_ISB_HAS_ENDTIME;
    isb.starttime = a->start_ns;
    isb.endtime = MAX(now_ns, a->last_ns);
  }
  ncap_pcapng_put_isb(out, &isb);
}

void
ncap_agentless_finish(NcapAgentless *a, const char *stderr_text,
                      guint64 now_ns, GByteArray *out)
{
  guint64 drops = 0;
  bool have = false;

  if (!a->header_done)
    return;
  if (a->have_isb_drops) {
    drops = a->isb_drops;
    have = true;
  } else {
    have = ncap_agentless_parse_drops(stderr_text, &drops);
  }
  NcapIsb isb = {
      .interface_id = 0,
      .timestamp = MAX(now_ns, a->last_ns),
      .present = NCAP_ISB_HAS_IFRECV | (have ? NCAP_ISB_HAS_IFDROP : 0),
      .ifrecv = a->packets + drops,
      .ifdrop = drops,
      .comment = have ? NULL
                      : "the capture program reported no drop count (killed?)",
  };
  if (a->packets > 0) {
    isb.present |= NCAP_ISB_HAS_STARTTIME | NCAP_ISB_HAS_ENDTIME;
    isb.starttime = a->start_ns;
    isb.endtime = isb.timestamp;
  }
  ncap_pcapng_put_isb(out, &isb);
}
