/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ncap-mkpcapng: writes a nodecap-style pcapng file from a small text spec,
 * with the interfaces, time stamps, drop counts and identity hashes a test
 * chooses, using common/'s writer. The plugin's tests build their captures
 * with it so every expected value is known in advance.
 *
 * Spec (stdin or FILE), one directive per line, '#' starts a comment:
 *   iface NAME [DESCRIPTION...]     an IDB: Ethernet, ns time stamps
 *   pkt IF T_NS N [drop=D] [ttl=T] [noid] [dst=A.B.C.D] [dport=P]
 *       an EPB on interface IF (0-based, in iface order) at T_NS ns since
 *       the epoch: IPv4/UDP 192.0.2.1:40000 -> dst:dport (198.51.100.77:9),
 *       IP id N, payload "nodecap test packet N"; the source MAC differs per
 *       interface and ttl (64) changes hop by hop, as on a real path. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <glib.h>

#include "ncap-error.h"
#include "packet-id.h"
#include "pcapng.h"

typedef struct {
  gboolean no_packetid;
  gboolean no_dropcount;
  guint n_ifaces;
} MkState;

static gsize
build_frame(uint8_t *f, guint ifid, guint n, guint ttl, guint32 dst, guint dport)
{
  char payload[64];
  int plen = g_snprintf(payload, sizeof payload, "nodecap test packet %u", n);
  const uint8_t dmac[6] = { 0x02, 0, 0, 0, 0, 0xfe };
  const uint8_t smac[6] = { 0x02, 0, 0, 0, 1, (uint8_t)ifid };
  gsize iplen = 20 + 8 + (gsize)plen;

  memcpy(f, dmac, 6);
  memcpy(f + 6, smac, 6);
  f[12] = 0x08;
  f[13] = 0x00;
  uint8_t *ip = f + 14;
  memset(ip, 0, 20);
  ip[0] = 0x45;
  ip[2] = (uint8_t)(iplen >> 8);
  ip[3] = (uint8_t)iplen;
  ip[4] = (uint8_t)(n >> 8);
  ip[5] = (uint8_t)n;
  ip[6] = 0x40;                     /* DF */
  ip[8] = (uint8_t)ttl;
  ip[9] = 17;
  uint32_t src = htonl(0xC0000201u); /* 192.0.2.1 */
  memcpy(ip + 12, &src, 4);
  memcpy(ip + 16, &dst, 4);
  uint32_t sum = 0;
  for (int k = 0; k < 20; k += 2)
    sum += (uint32_t)(ip[k] << 8 | ip[k + 1]);
  while (sum >> 16)
    sum = (sum & 0xFFFF) + (sum >> 16);
  ip[10] = (uint8_t)(~sum >> 8);
  ip[11] = (uint8_t)~sum;
  uint8_t *udp = ip + 20;
  udp[0] = 40000 >> 8;
  udp[1] = 40000 & 0xFF;
  udp[2] = (uint8_t)(dport >> 8);
  udp[3] = (uint8_t)dport;
  udp[4] = (uint8_t)((8 + plen) >> 8);
  udp[5] = (uint8_t)(8 + plen);
  udp[6] = udp[7] = 0;              /* no checksum: allowed over IPv4 */
  memcpy(udp + 8, payload, (size_t)plen);
  return 14 + iplen;
}

static gboolean
parse_line(MkState *st, GByteArray *out, const char *line, guint lineno, GError **error)
{
  g_auto(GStrv) w = g_strsplit_set(line, " \t", -1);
  guint nw = 0;
  char *words[33];
  for (guint k = 0; w[k] != NULL && nw < G_N_ELEMENTS(words) - 1; k++)
    if (w[k][0] != '\0')
      words[nw++] = w[k];
  if (nw == 0 || words[0][0] == '#')
    return TRUE;

  if (strcmp(words[0], "iface") == 0 && nw >= 2) {
    g_autofree char *descr = NULL;
    if (nw > 2) {
      words[nw] = NULL;
      descr = g_strjoinv(" ", &words[2]);
    }
    NcapIdbInfo idb = { .linktype = 1, .snaplen = 262144, .name = words[1],
                        .description = descr, .tsresol = 9 };
    ncap_pcapng_put_idb(out, &idb);
    st->n_ifaces++;
    return TRUE;
  }
  if (strcmp(words[0], "pkt") == 0 && nw >= 4) {
    guint ifid = (guint)g_ascii_strtoull(words[1], NULL, 10);
    guint64 ts = g_ascii_strtoull(words[2], NULL, 10);
    guint n = (guint)g_ascii_strtoull(words[3], NULL, 10);
    guint ttl = 64, dport = 9;
    guint64 drop = 0;
    gboolean noid = st->no_packetid;
    uint32_t dst = htonl(0xC633644Du); /* 198.51.100.77 */
    for (guint k = 4; k < nw; k++) {
      if (g_str_has_prefix(words[k], "drop="))
        drop = g_ascii_strtoull(words[k] + 5, NULL, 10);
      else if (g_str_has_prefix(words[k], "ttl="))
        ttl = (guint)g_ascii_strtoull(words[k] + 4, NULL, 10);
      else if (g_str_has_prefix(words[k], "dport="))
        dport = (guint)g_ascii_strtoull(words[k] + 6, NULL, 10);
      else if (g_str_has_prefix(words[k], "dst=") && inet_pton(AF_INET, words[k] + 4, &dst) == 1)
        ;
      else if (strcmp(words[k], "noid") == 0)
        noid = TRUE;
      else {
        g_set_error(error, NCAP_ERROR, NCAP_ERROR_INVALID,
                    "line %u: unknown item \"%s\"", lineno, words[k]);
        return FALSE;
      }
    }
    if (ifid >= st->n_ifaces) {
      g_set_error(error, NCAP_ERROR, NCAP_ERROR_INVALID,
                  "line %u: interface %u not declared", lineno, ifid);
      return FALSE;
    }
    uint8_t frame[128];
    gsize len = build_frame(frame, ifid, n, ttl, dst, dport);
    NcapEpb epb = { .interface_id = ifid, .timestamp = ts,
                    .caplen = (uint32_t)len, .origlen = (uint32_t)len, .data = frame,
                    .has_packetid = !noid, .packetid = ncap_packet_id(1, frame, len),
                    .has_dropcount = !st->no_dropcount, .dropcount = drop };
    ncap_pcapng_put_epb(out, &epb);
    return TRUE;
  }
  g_set_error(error, NCAP_ERROR, NCAP_ERROR_INVALID, "line %u: cannot parse \"%s\"",
              lineno, line);
  return FALSE;
}

static gboolean
run(const char *out_path, const char *spec_path, MkState *st, GError **error)
{
  g_autofree char *spec = NULL;
  if (spec_path == NULL || strcmp(spec_path, "-") == 0) {
    GString *s = g_string_new(NULL);
    char buf[4096];
    size_t r;
    while ((r = fread(buf, 1, sizeof buf, stdin)) > 0)
      g_string_append_len(s, buf, (gssize)r);
    spec = g_string_free(s, FALSE);
  } else if (!g_file_get_contents(spec_path, &spec, NULL, error)) {
    return FALSE;
  }

  g_autoptr(GByteArray) out = g_byte_array_new();
  NcapShbInfo shb = { .userappl = "ncap-mkpcapng (nodecap tests)" };
  ncap_pcapng_put_shb(out, &shb);
  g_auto(GStrv) lines = g_strsplit(spec, "\n", -1);
  for (guint k = 0; lines[k] != NULL; k++)
    if (!parse_line(st, out, lines[k], k + 1, error))
      return FALSE;
  return g_file_set_contents(out_path, (const char *)out->data, (gssize)out->len, error);
}

int
main(int argc, char **argv)
{
  MkState st = { 0 };
  GOptionEntry entries[] = {
    { "no-packetid", 0, 0, G_OPTION_ARG_NONE, &st.no_packetid, "Write no epb_packetid", NULL },
    { "no-dropcount", 0, 0, G_OPTION_ARG_NONE, &st.no_dropcount, "Write no epb_dropcount", NULL },
    { NULL, 0, 0, 0, NULL, NULL, NULL },
  };
  g_autoptr(GOptionContext) ctx = g_option_context_new("OUT.pcapng [SPEC|-]");
  g_autoptr(GError) error = NULL;

  g_option_context_add_main_entries(ctx, entries, NULL);
  if (!g_option_context_parse(ctx, &argc, &argv, &error) || argc < 2 || argc > 3) {
    fprintf(stderr, "ncap-mkpcapng: %s\n", error ? error->message : "usage: ncap-mkpcapng OUT.pcapng [SPEC|-]");
    return 2;
  }
  if (!run(argv[1], argc == 3 ? argv[2] : NULL, &st, &error)) {
    ncap_error_print("ncap-mkpcapng", error);
    return ncap_error_exit_status(error);
  }
  return 0;
}
