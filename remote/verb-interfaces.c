/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `nodecap-helper interfaces`: what can be captured here. The extcap's
 * Reload button runs it over SSH (--json) to fill the interface list. */
#include <arpa/inet.h>
#include <json-glib/json-glib.h>
#include <netinet/in.h>
#include <pcap/pcap.h>
#include <stdio.h>

#include "helper.h"
#include "ncap-error.h"
#include "goption.h"

static char *
addr_text(const struct sockaddr *sa)
{
  char buf[INET6_ADDRSTRLEN] = "";
  if (sa == NULL)
    return NULL;
  if (sa->sa_family == AF_INET)
    inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, buf, sizeof buf);
  else if (sa->sa_family == AF_INET6)
    inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, buf, sizeof buf);
  else
    return NULL;
  return g_strdup(buf);
}

gboolean
ncap_verb_interfaces(NcapHelper *h, int argc, char **argv, GError **error)
{
  gboolean json = h->json;
  GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "JSON output", NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) ctx = g_option_context_new("- list capturable interfaces");
  g_option_context_add_main_entries(ctx, entries, NULL);
  if (!ncap_goption_parse(ctx, NULL, &argc, &argv, error))
    return FALSE;
  if (argc > 1) {
    g_set_error(error, NCAP_ERROR, NCAP_ERROR_INVALID,
                "interfaces: unexpected argument \"%s\"", argv[1]);
    return FALSE;
  }

  char errbuf[PCAP_ERRBUF_SIZE] = "";
  pcap_if_t *all = NULL;
  if (pcap_findalldevs(&all, errbuf) < 0) {
    g_set_error(error, NCAP_ERROR, NCAP_ERROR_CAPTURE, "listing interfaces: %s", errbuf);
    return FALSE;
  }

  g_autoptr(JsonBuilder) b = json_builder_new();
  json_builder_begin_array(b);
  for (pcap_if_t *d = all; d; d = d->next) {
    /* Pseudo-devices libpcap adds (any, bluetooth-monitor, nflog, dbus...)
     * are kept: "any" is a real choice on a router. */
    gboolean up = (d->flags & PCAP_IF_UP) != 0;
    g_autoptr(GPtrArray) addrs = g_ptr_array_new_with_free_func(g_free);
    for (pcap_addr_t *a = d->addresses; a; a = a->next) {
      char *t = addr_text(a->addr);
      if (t)
        g_ptr_array_add(addrs, t);
    }
    if (json) {
      json_builder_begin_object(b);
      json_builder_set_member_name(b, "name");
      json_builder_add_string_value(b, d->name);
      json_builder_set_member_name(b, "description");
      json_builder_add_string_value(b, d->description ? d->description : "");
      json_builder_set_member_name(b, "addresses");
      json_builder_begin_array(b);
      for (guint i = 0; i < addrs->len; i++)
        json_builder_add_string_value(b, addrs->pdata[i]);
      json_builder_end_array(b);
      json_builder_set_member_name(b, "up");
      json_builder_add_boolean_value(b, up);
      json_builder_end_object(b);
    } else {
      g_ptr_array_add(addrs, NULL);
      g_autofree char *list = g_strjoinv(",", (char **)addrs->pdata);
      printf("%-16s %-4s %s%s%s\n", d->name, up ? "up" : "down", list,
             d->description ? "  " : "", d->description ? d->description : "");
    }
  }
  json_builder_end_array(b);
  pcap_freealldevs(all);
  if (json) {
    g_autoptr(JsonGenerator) gen = json_generator_new();
    g_autoptr(JsonNode) root = json_builder_get_root(b);
    json_generator_set_root(gen, root);
    g_autofree char *text = json_generator_to_data(gen, NULL);
    printf("%s\n", text);
  }
  fflush(stdout);
  return TRUE;
}
