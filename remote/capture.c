/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The capture engine: the only code that touches pcap_t. Configure, then
 * activate (libpcap's own two phases), then a non-blocking dispatch that
 * turns each packet into one whole EPB for a sink. Drops from the kernel
 * (pcap_stats) and from the sink (no room) are carried into the next EPB's
 * epb_dropcount, so gaps are visible per packet, never silent. */
#include "capture.h"

#include <errno.h>
#include <pcap/pcap.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>

#include "ncap-error.h"
#include "packet-id.h"
#include "pcapng.h"

#ifndef NCAP_VERSION
#define NCAP_VERSION "0"
#endif

/* Maximum EPB overhead beyond the packet bytes: header 28, trailer 4,
 * options (packetid 12, dropcount 12, end 4) and padding 3. */
#define EPB_OVERHEAD 64

struct NcapCapture {
  NcapCaptureOpts opts;      /* deep copy */
  char *node;
  char *exclude;
  char *filter;              /* effective BPF text as applied */
  gsize buffer_size;
  pcap_t *pcap;
  int linktype;
  guint64 session;           /* random id written in the IDB description */
  guint8 *scratch;           /* one EPB, reused for every packet */
  gsize scratch_len;
  /* what the sink refused or the kernel lost, not yet reported in an EPB */
  guint64 pending_drops;
  guint64 kernel_drops_seen; /* last pcap_stats total */
  guint64 start_ns, last_ns; /* first and latest timestamps (ns) */
  gint64 start_mono;         /* monotonic start, for the time limit */
  gint64 clock_shift_ns;     /* test hook: pretend this node's clock is off */
  NcapCaptureStats stats;
  const char *limit;
  NcapEpbSink sink;        /* copy sink, or */
  NcapEpbReserve reserve;  /* in-place sink */
  NcapEpbCommit commit;
  uint8_t *area;           /* lent by reserve: area_used of area_size used */
  gsize area_size, area_used;
  void *sink_user;
  gboolean in_dispatch;
  /* The stop (ncap_capture_stop): from then dispatch reads the ring even
   * past a limit, until every block the kernel held has come out. */
  gint64 stop_mono;          /* 0: running */
  gboolean quiet_since_retire;
  guint64 sampled;           /* packets that reached sampling */
  guint64 limit_ns;          /* time limit as a timestamp (0: none) */
  gboolean sink_full;        /* the sink asked to stop during this dispatch */
  /* Every packet not read yet is stamped at or after this (ns): see
   * ncap_capture_put_isb. */
  guint64 vouch_ns; /* a dispatch begun after the retire time read nothing */
};

static void
copy_opts(NcapCaptureOpts *dst, const NcapCaptureOpts *src)
{
  *dst = *src;
  dst->iface = g_strdup(src->iface);
  dst->bpf = g_strdup(src->bpf);
  dst->src_host = g_strdup(src->src_host);
  dst->dst_host = g_strdup(src->dst_host);
}

NcapCapture *
ncap_capture_new(const NcapCaptureOpts *opts, const char *node)
{
  NcapCapture *cap = g_new0(NcapCapture, 1);
  copy_opts(&cap->opts, opts);
  cap->node = g_strdup(node);
  cap->buffer_size = 64u * 1024 * 1024;
  cap->session = ((guint64)g_random_int() << 32) | g_random_int();
  cap->linktype = 1;
  return cap;
}

void
ncap_capture_free(NcapCapture *cap)
{
  if (cap == NULL)
    return;
  ncap_capture_close(cap);
  g_free(cap->opts.iface);
  g_free(cap->opts.bpf);
  g_free(cap->opts.src_host);
  g_free(cap->opts.dst_host);
  g_free(cap->node);
  g_free(cap->exclude);
  g_free(cap->filter);
  g_free(cap->scratch);
  g_free(cap);
}

void
ncap_capture_set_exclude(NcapCapture *cap, const char *bpf_exclude)
{
  g_free(cap->exclude);
  cap->exclude = g_strdup(bpf_exclude);
}

void
ncap_capture_set_clock_shift(NcapCapture *cap, gint64 shift_ns)
{
  cap->clock_shift_ns = shift_ns;
}

void
ncap_capture_set_buffer_size(NcapCapture *cap, gsize bytes)
{
  cap->buffer_size = bytes;
}

/* libpcap's DLT_ values equal the pcapng LINKTYPE_ values for everything a
 * Linux node produces, except raw IP. */
static int
dlt_to_linktype(int dlt)
{
  if (dlt == DLT_RAW)
    return 101;
  return dlt;
}

static gboolean
activate_error(NcapCapture *cap, int status, GError **error)
{
  const char *iface = cap->opts.iface;
  const char *detail = pcap_geterr(cap->pcap);
  switch (status) {
  case PCAP_ERROR_NO_SUCH_DEVICE:
    g_set_error(error, NCAP_ERROR, NCAP_ERROR_NOT_FOUND,
                "interface \"%s\": no such interface on this node", iface);
    break;
  case PCAP_ERROR_PERM_DENIED:
  case PCAP_ERROR_PROMISC_PERM_DENIED:
    g_set_error(error, NCAP_ERROR, NCAP_ERROR_PERMISSION,
                "interface \"%s\": capture not permitted (needs CAP_NET_RAW): %s",
                iface, detail);
    break;
  case PCAP_ERROR_IFACE_NOT_UP:
    g_set_error(error, NCAP_ERROR, NCAP_ERROR_CAPTURE,
                "interface \"%s\" is down", iface);
    break;
  default:
    g_set_error(error, NCAP_ERROR, NCAP_ERROR_CAPTURE,
                "interface \"%s\": %s", iface,
                detail && *detail ? detail : pcap_statustostr(status));
  }
  return FALSE;
}

static char *
build_filter(NcapCapture *cap)
{
  g_autofree char *user = ncap_capture_opts_filter(&cap->opts);
  if (cap->exclude && *cap->exclude) {
    if (user && *user)
      return g_strdup_printf("(%s) and (%s)", user, cap->exclude);
    return g_strdup(cap->exclude);
  }
  return g_steal_pointer(&user);
}

gboolean
ncap_capture_open(NcapCapture *cap, GError **error)
{
  char errbuf[PCAP_ERRBUF_SIZE] = "";

  g_return_val_if_fail(cap->pcap == NULL, FALSE);
  cap->pcap = pcap_create(cap->opts.iface, errbuf);
  if (cap->pcap == NULL) {
    g_set_error(error, NCAP_ERROR, NCAP_ERROR_CAPTURE, "interface \"%s\": %s",
                cap->opts.iface, errbuf);
    return FALSE;
  }
  /* A setter that fails leaves a capture other than the one asked for (a
   * refused ring size would go unnoticed): each is checked, and newer
   * libpcap declares them warn_unused_result. */
  const char *what = NULL;
  int rc = 0;
  if ((rc = pcap_set_snaplen(cap->pcap, (int)cap->opts.snaplen)) != 0)
    what = "snapshot length";
  else if ((rc = pcap_set_promisc(cap->pcap, cap->opts.no_promiscuous ? 0 : 1)) != 0)
    what = "promiscuous mode";
  /* The timeout is TPACKET_V3's block retirement time: the latency of a
   * quiet link. 50 ms keeps a live view live at low cost. */
  else if ((rc = pcap_set_timeout(cap->pcap, NCAP_CAPTURE_RETIRE_MS)) != 0)
    what = "timeout";
  else if ((rc = pcap_set_buffer_size(cap->pcap,
                                      (int)MIN(cap->buffer_size, (gsize)G_MAXINT))) != 0)
    what = "buffer size";
  else if ((rc = pcap_set_tstamp_precision(cap->pcap, PCAP_TSTAMP_PRECISION_NANO)) != 0)
    what = "nanosecond time stamps";
  if (what != NULL) {
    g_set_error(error, NCAP_ERROR, NCAP_ERROR_CAPTURE, "interface \"%s\": %s: %s",
                cap->opts.iface, what, pcap_statustostr(rc));
    ncap_capture_close(cap);
    return FALSE;
  }

  int status = pcap_activate(cap->pcap);
  if (status < 0) {
    activate_error(cap, status, error);
    ncap_capture_close(cap);
    return FALSE;
  }

  cap->filter = build_filter(cap);
  if (cap->filter && *cap->filter) {
    struct bpf_program prog;
    if (pcap_compile(cap->pcap, &prog, cap->filter, 1,
                     PCAP_NETMASK_UNKNOWN) < 0) {
      /* Name the user's text, not the SSH exclusion we added, and when
       * only -f was given, exactly what they typed. */
      g_autofree char *user = ncap_capture_opts_filter(&cap->opts);
      g_autofree char *bare = cap->opts.bpf ? g_strdup_printf("(%s)", cap->opts.bpf) : NULL;
      const char *shown = user && *user ? user : cap->filter;
      if (bare && g_strcmp0(user, bare) == 0)
        shown = cap->opts.bpf;
      const char *why = pcap_geterr(cap->pcap);
      if (g_str_has_prefix(why, "can't parse filter expression: "))
        why += strlen("can't parse filter expression: ");
      g_set_error(error, NCAP_ERROR, NCAP_ERROR_INVALID, "filter \"%s\": %s",
                  shown, why);
      ncap_capture_close(cap);
      return FALSE;
    }
    int rc = pcap_setfilter(cap->pcap, &prog);
    pcap_freecode(&prog);
    if (rc < 0) {
      g_set_error(error, NCAP_ERROR, NCAP_ERROR_CAPTURE, "filter \"%s\": %s",
                  cap->filter, pcap_geterr(cap->pcap));
      ncap_capture_close(cap);
      return FALSE;
    }
  }

  if (pcap_setnonblock(cap->pcap, 1, errbuf) < 0) {
    g_set_error(error, NCAP_ERROR, NCAP_ERROR_CAPTURE, "interface \"%s\": %s",
                cap->opts.iface, errbuf);
    ncap_capture_close(cap);
    return FALSE;
  }
  /* pcap_set_timeout is the block retire time (NCAP_CAPTURE_RETIRE_MS). */
  cap->linktype = dlt_to_linktype(pcap_datalink(cap->pcap));
  cap->scratch_len = cap->opts.snaplen + EPB_OVERHEAD;
  cap->scratch = g_malloc(cap->scratch_len);
  cap->start_mono = g_get_monotonic_time();
  cap->start_ns = (guint64)((gint64)g_get_real_time() * 1000 + cap->clock_shift_ns);
  cap->last_ns = cap->start_ns;
  if (cap->opts.time_limit > 0)
    cap->limit_ns = cap->start_ns + cap->opts.time_limit * 1000000000u;
  return TRUE;
}

int
ncap_capture_fd(NcapCapture *cap)
{
  return cap->pcap ? pcap_get_selectable_fd(cap->pcap) : -1;
}

void
ncap_capture_put_header(NcapCapture *cap, GByteArray *out)
{
  struct utsname un;
  g_autofree char *os = NULL;
  g_autofree char *name = g_strdup_printf("%s:%s", cap->node, cap->opts.iface);
  g_autofree char *desc = g_strdup_printf(
      "nodecap session=%016" G_GINT64_MODIFIER "x sample=%u", cap->session,
      cap->opts.sample ? cap->opts.sample : 1);
  if (uname(&un) == 0)
    os = g_strdup_printf("%s %s", un.sysname, un.release);
  NcapShbInfo shb = {
    .hardware = uname(&un) == 0 ? un.machine : NULL,
    .os = os,
    .userappl = "nodecap-helper " NCAP_VERSION,
  };
  NcapIdbInfo idb = {
    .linktype = (uint16_t)cap->linktype,
    .snaplen = cap->opts.snaplen,
    .name = name,
    .description = desc,
    .filter = cap->filter,
    .tsresol = 9,
  };
  ncap_pcapng_put_shb(out, &shb);
  ncap_pcapng_put_idb(out, &idb);
}

static void
update_kernel_drops(NcapCapture *cap)
{
  struct pcap_stat ps;
  if (cap->pcap == NULL || pcap_stats(cap->pcap, &ps) < 0)
    return;
  guint64 total = (guint64)ps.ps_drop + ps.ps_ifdrop;
  if (total > cap->kernel_drops_seen) {
    cap->pending_drops += total - cap->kernel_drops_seen;
    cap->kernel_drops_seen = total;
  }
  cap->stats.kernel_drops = cap->kernel_drops_seen;
}

static void
check_time_limit(NcapCapture *cap)
{
  if (cap->limit == NULL && cap->opts.time_limit > 0 &&
      g_get_monotonic_time() - cap->start_mono >=
          (gint64)cap->opts.time_limit * G_USEC_PER_SEC)
    cap->limit = "time limit";
}

/* Hands back what the sink lent; false when the sink is nearly full. */
static bool
area_commit(NcapCapture *cap)
{
  if (cap->area == NULL)
    return true;
  bool more = cap->commit(cap->area_used, cap->sink_user);
  cap->area = NULL;
  cap->area_size = cap->area_used = 0;
  return more;
}

/* The area is used up: commit it, borrow the next one (need bytes at
 * least). A nearly full sink stops the loop at the end of this block. */
static gboolean
area_renew(NcapCapture *cap, gsize need)
{
  if (!area_commit(cap)) {
    cap->sink_full = TRUE;
    pcap_breakloop(cap->pcap);
  }
  gsize avail = 0;
  cap->area = cap->reserve(need, &avail, cap->sink_user);
  cap->area_size = cap->area ? avail : 0;
  return cap->area != NULL;
}

static void
on_packet(u_char *user, const struct pcap_pkthdr *h, const u_char *bytes)
{
  NcapCapture *cap = (NcapCapture *)user;

  /* Every packet libpcap hands over is counted once: in the stream
   * (packets), refused by the sink (sink_drops), or left out by sampling
   * or a limit (left_out). So ifrecv = packets + ifdrop + osdrop +
   * left_out (docs/reliability.md "Counters"). */
  cap->stats.seen++;
  guint64 ts = (guint64)((gint64)((guint64)h->ts.tv_sec * 1000000000u + (guint64)h->ts.tv_usec) +
                        cap->clock_shift_ns);
  if (cap->limit != NULL) {
    /* Past a packet or byte limit nothing more is wanted; past the time
     * limit, what the kernel stamped before it still is (the stop drain
     * reads it from a block that retired later). */
    gboolean count_done =
        (cap->opts.packet_limit && cap->stats.packets >= cap->opts.packet_limit) ||
        (cap->opts.byte_limit && cap->stats.bytes >= cap->opts.byte_limit);
    if (count_done || !(cap->limit_ns != 0 && ts < cap->limit_ns)) {
      cap->stats.left_out++;
      return;
    }
  }
  cap->sampled++;
  guint32 caplen = MIN(h->caplen, cap->opts.snaplen);
  guint64 id = ncap_packet_id((unsigned)cap->linktype, bytes, caplen);

  if (cap->opts.sample > 1) {
    if (cap->opts.sample_by_hash) {
      if (id % cap->opts.sample != 0) {
        cap->stats.left_out++;
        return;
      }
    } else if ((cap->sampled - 1) % cap->opts.sample != 0) {
      cap->stats.left_out++;
      return;
    }
  }
  NcapEpb epb = {
    .interface_id = 0,
    .timestamp = ts,
    .caplen = caplen,
    .origlen = h->len,
    .data = bytes,
    .has_packetid = true,
    .packetid = id,
    .has_dropcount = cap->pending_drops > 0,
    .dropcount = cap->pending_drops,
  };
  gboolean kept;
  if (cap->reserve != NULL) {
    gsize need = caplen + EPB_OVERHEAD; /* >= epb_len */
    kept = cap->area_size - cap->area_used >= need || area_renew(cap, need);
    if (kept)
      cap->area_used += ncap_pcapng_encode_epb(cap->area + cap->area_used, &epb);
  } else {
    gsize len = ncap_pcapng_encode_epb(cap->scratch, &epb);
    kept = cap->sink(cap->scratch, len, cap->sink_user);
  }
  if (!kept) {
    cap->stats.sink_drops++;
    cap->pending_drops++;
    return;
  }
  /* A packet's sequence number is its position plus the losses before it
   * (docs/design.md "The stream format"), so the plugin can derive it. */
  cap->stats.next_seq += 1 + epb.dropcount;
  cap->pending_drops = 0;
  cap->stats.packets++;
  cap->stats.bytes += caplen;
  cap->last_ns = ts;
  if (cap->opts.packet_limit && cap->stats.packets >= cap->opts.packet_limit)
    cap->limit = "packet limit";
  else if (cap->opts.byte_limit && cap->stats.bytes >= cap->opts.byte_limit)
    cap->limit = "byte limit";
}

static int dispatch(NcapCapture *cap, GError **error);

int
ncap_capture_dispatch(NcapCapture *cap, NcapEpbSink sink, void *user,
                      GError **error)
{
  cap->sink = sink;
  cap->reserve = NULL;
  cap->commit = NULL;
  cap->sink_user = user;
  return dispatch(cap, error);
}

int
ncap_capture_dispatch_into(NcapCapture *cap, NcapEpbReserve reserve,
                           NcapEpbCommit commit, void *user, GError **error)
{
  cap->sink = NULL;
  cap->reserve = reserve;
  cap->commit = commit;
  cap->sink_user = user;
  return dispatch(cap, error);
}

static int
dispatch(NcapCapture *cap, GError **error)
{
  guint64 before = cap->stats.packets;
  guint64 read_before = cap->stats.seen;
  cap->sink_full = FALSE;
  gboolean failed = FALSE;
  guint64 t0_ns = (guint64)((gint64)g_get_real_time() * 1000 + cap->clock_shift_ns);
  gboolean ring_empty = FALSE;
  gboolean after_retire = cap->stop_mono != 0 &&
      g_get_monotonic_time() - cap->stop_mono >= NCAP_CAPTURE_RETIRE_MS * 2000;

  if (cap->pcap == NULL) {
    g_set_error(error, NCAP_ERROR, NCAP_ERROR_CAPTURE, "capture is closed");
    return -1;
  }
  update_kernel_drops(cap);
  /* Drain what is ready, but give the caller its loop back now and then so
   * output and signals are served even at full rate. */
  for (int round = 0; round < 16 && (cap->limit == NULL || cap->stop_mono != 0);
       round++) {
    int n = pcap_dispatch(cap->pcap, -1, on_packet, (u_char *)cap);
    if (n == PCAP_ERROR) {
      g_set_error(error, NCAP_ERROR, NCAP_ERROR_CAPTURE, "interface \"%s\": %s",
                  cap->opts.iface, pcap_geterr(cap->pcap));
      failed = TRUE;
      break;
    }
    if (n <= 0) {
      ring_empty = n == 0;
      break;
    }
  }
  /* What was encoded goes to the sink now (the caller then checks the
   * sink's room itself, and may write it out). */
  if (cap->reserve != NULL && !area_commit(cap))
    cap->sink_full = TRUE;
  if (failed)
    return -1;
  /* A pass that starts once every block open at the stop has retired and
   * reads nothing means the ring held nothing more from before the stop.
   * A pass stopped early by a nearly full sink proves nothing. */
  if (after_retire && cap->stats.seen == read_before && !cap->sink_full)
    cap->quiet_since_retire = TRUE;
  /* The ring had no block ready when this pass ended, so a packet not
   * read yet is in the block being filled, or still to come: stamped
   * after t0 minus how long a block stays open (NCAP_CAPTURE_RETIRE_MS)
   * and how long the kernel may take from stamping a packet to putting
   * it in the ring (softirq work deferred under load). */
  if (ring_empty && !cap->sink_full && t0_ns > NCAP_CAPTURE_VOUCH_MARGIN_NS &&
      t0_ns - NCAP_CAPTURE_VOUCH_MARGIN_NS > cap->vouch_ns)
    cap->vouch_ns = t0_ns - NCAP_CAPTURE_VOUCH_MARGIN_NS;
  check_time_limit(cap);
  return (int)(cap->stats.packets - before);
}

void
ncap_capture_put_isb(NcapCapture *cap, GByteArray *out)
{
  update_kernel_drops(cap);
  guint64 now = (guint64)((gint64)g_get_real_time() * 1000 + cap->clock_shift_ns);
  /* The ISB's timestamp is a promise to the merge of a multi-node
   * capture (common/merge.c): no packet after it in the stream is older.
   * "now" is not: packets stamped before now may still sit in a partly
   * filled ring block and come after this ISB (issue 21: the merge then
   * wrote them up to 30 ms late, silently). So: the latest time up to
   * which every packet has been read; endtime stays "now". */
  guint64 vouch = MAX(cap->vouch_ns, cap->last_ns);
  NcapIsb isb = {
    .interface_id = 0,
    .timestamp = MIN(vouch, now),
    .present = NCAP_ISB_HAS_STARTTIME | NCAP_ISB_HAS_ENDTIME |
               NCAP_ISB_HAS_IFRECV | NCAP_ISB_HAS_IFDROP | NCAP_ISB_HAS_OSDROP |
               NCAP_ISB_HAS_USRDELIV,
    .starttime = cap->start_ns,
    .endtime = now,
    /* ifrecv: packets the filter accepted (read by libpcap, or lost by
     * the kernel); ifdrop: the kernel's losses; osdrop: what our own
     * buffer refused, or the stop's deadline left in the ring; usrdeliv:
     * packets in the stream. ifrecv - ifdrop - osdrop - usrdeliv is what
     * sampling or a limit left out. */
    .ifrecv = cap->stats.seen + cap->stats.kernel_drops,
    .ifdrop = cap->stats.kernel_drops,
    .osdrop = cap->stats.sink_drops,
    .usrdeliv = cap->stats.packets,
  };
  ncap_pcapng_put_isb(out, &isb);
}

void
ncap_capture_stats(NcapCapture *cap, NcapCaptureStats *out)
{
  update_kernel_drops(cap);
  *out = cap->stats;
}

const char *
ncap_capture_limit_reached(NcapCapture *cap)
{
  check_time_limit(cap);
  return cap->limit;
}

void
ncap_capture_stop(NcapCapture *cap)
{
  if (cap->stop_mono == 0)
    cap->stop_mono = g_get_monotonic_time();
}

gboolean
ncap_capture_drained(NcapCapture *cap)
{
  return cap->pcap == NULL || cap->quiet_since_retire;
}

static bool
refuse_sink(const uint8_t *epb, gsize len, void *user)
{
  (void)epb, (void)len, (void)user;
  return false;
}

void
ncap_capture_discard_rest(NcapCapture *cap)
{
  if (cap->pcap == NULL)
    return;
  ncap_capture_stop(cap);
  /* Each packet still in the ring is read and refused: counted in
   * sink_drops (ISB osdrop), never silently gone. Bounded: the ring is
   * finite and the stop is past, so new packets are few. */
  for (int i = 0; i < 64; i++) {
    guint64 before = cap->stats.seen;
    if (ncap_capture_dispatch(cap, refuse_sink, NULL, NULL) < 0 ||
        cap->stats.seen == before)
      break;
  }
}

void
ncap_capture_close(NcapCapture *cap)
{
  if (cap->pcap) {
    update_kernel_drops(cap);
    pcap_close(cap->pcap);
    cap->pcap = NULL;
  }
}
