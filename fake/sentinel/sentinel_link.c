/* The Sentinel's link to one instance: a client connection over which it
 * PINGs, asks INFO and sends SLAVEOF; what the replies say (see
 * sentinel_engine.h). Callbacks here record, publish, and may add a
 * replica; they never free an instance. */
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>

#include "sentinel_engine.h"

void fr__sen_link_close(fr_sen_inst *i)
{
    if (i->bev)
        bufferevent_free(i->bev);
    i->bev = NULL;
    i->connected = 0;
    i->npending = 0;
    i->ping_sent = 0;
    i->info_sent = i->infos; /* the replies in flight are lost */
    fr__buf_free(&i->in);
}

void fr__sen_send(fr_sen_inst *i, int kind, int argc, const char *const *argv)
{
    if (!i->bev || i->npending == sizeof i->pending)
        return;
    fr_buf b = {0};
    fr__buf_printf(&b, "*%d\r\n", argc);
    for (int k = 0; k < argc; k++)
        fr__buf_printf(&b, "$%zu\r\n%s\r\n", strlen(argv[k]), argv[k]);
    bufferevent_write(i->bev, b.p, b.len);
    fr__buf_free(&b);
    i->pending[i->npending++] = (unsigned char)kind;
}

/* Redis' sentinelSendSlaveOf: in a transaction, the role change and the
 * disconnection of the normal clients, so they reconnect and find out. */
void fr__sen_send_slaveof(fr_sen_inst *i, const char *host, int port)
{
    char p[16];
    snprintf(p, sizeof p, "%d", port);
    const char *multi[] = {"MULTI"}, *exec[] = {"EXEC"};
    const char *noone[] = {"SLAVEOF", "NO", "ONE"}, *to[] = {"SLAVEOF", host, p};
    const char *kill[] = {"CLIENT", "KILL", "TYPE", "normal"};
    fr__sen_send(i, FR_SEN_REPLY_OTHER, 1, multi);
    if (host)
        fr__sen_send(i, FR_SEN_REPLY_OTHER, 3, to);
    else
        fr__sen_send(i, FR_SEN_REPLY_OTHER, 3, noone);
    fr__sen_send(i, FR_SEN_REPLY_OTHER, 4, kill);
    fr__sen_send(i, FR_SEN_REPLY_OTHER, 1, exec);
}

static const char *field(const char *info, const char *key, char *out, size_t cap)
{
    size_t kl = strlen(key);
    for (const char *p = info; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
        if (!strncmp(p, key, kl) && p[kl] == ':') {
            const char *v = p + kl + 1;
            size_t n = strcspn(v, "\r\n");
            if (n >= cap)
                n = cap - 1;
            memcpy(out, v, n);
            out[n] = 0;
            return out;
        }
    }
    return NULL;
}

static void role_seen(fr_sen_inst *i, int role)
{
    if (i->role == role)
        return;
    int expected = i->is_master ? FR_SEN_ROLE_MASTER : FR_SEN_ROLE_SLAVE;
    fr__sen_event(i, role == expected ? "+role-change" : "-role-change", " new reported role is %s",
                  role == FR_SEN_ROLE_MASTER ? "master" : "slave");
    i->role = role;
    i->role_at = fr__mono_ms();
}

/* slaveN:ip=127.0.0.1,port=6380,state=online,offset=...,lag=0 */
static void discover(fr_sen_inst *i, const char *info)
{
    for (const char *p = strstr(info, "\nslave"); p; p = strstr(p + 1, "\nslave")) {
        char ip[64] = "";
        int port = 0;
        const char *ipp = strstr(p, "ip="), *pp = strstr(p, ",port="), *eol = strchr(p + 1, '\n');
        if (!ipp || !pp || (eol && (ipp > eol || pp > eol)))
            continue;
        size_t n = strcspn(ipp + 3, ",\r\n");
        if (n >= sizeof ip)
            continue;
        memcpy(ip, ipp + 3, n);
        port = atoi(pp + 6);
        fr_sen_master *m = i->m;
        int before = m->nreplicas;
        fr__sentinel_add_replica(m, ip, port);
        if (m->nreplicas > before)
            fr__sen_event(m->replicas[m->nreplicas - 1], "+slave", NULL);
    }
}

static void on_info(fr_sen_inst *i, const char *info)
{
    char v[128];
    free(i->info);
    i->info = fr__xstrdup(info);
    i->info_at = fr__mono_ms();
    i->infos++;
    if (field(info, "run_id", v, sizeof v))
        snprintf(i->runid, sizeof i->runid, "%.40s", v);
    if (field(info, "role", v, sizeof v))
        role_seen(i, !strcmp(v, "master") ? FR_SEN_ROLE_MASTER : FR_SEN_ROLE_SLAVE);
    if (i->role == FR_SEN_ROLE_SLAVE) {
        i->master_host[0] = 0;
        if (field(info, "master_host", v, sizeof v))
            snprintf(i->master_host, sizeof i->master_host, "%.63s", v);
        i->master_port = field(info, "master_port", v, sizeof v) ? atoi(v) : 0;
        i->master_link_up = field(info, "master_link_status", v, sizeof v) && !strcmp(v, "up");
        i->master_link_down_s =
            field(info, "master_link_down_since_seconds", v, sizeof v) ? atoll(v) : 0;
        i->offset = field(info, "slave_repl_offset", v, sizeof v) ? atoll(v) : 0;
        if (field(info, "slave_priority", v, sizeof v) ||
            field(info, "replica_priority", v, sizeof v))
            i->priority = atoi(v);
    } else if (i->is_master && i->role == FR_SEN_ROLE_MASTER) {
        discover(i, info);
    }
}

static void on_reply(fr_sen_inst *i, int kind, const fr_reply *r)
{
    int64_t now = fr__mono_ms();
    if (kind == FR_SEN_REPLY_PING) {
        i->ping_sent = 0;
        i->last_ping_reply = now;
        /* Redis counts these as valid: the instance is alive */
        int ok = r->type == FR_REPLY_STATUS ||
                 (r->type == FR_REPLY_ERROR &&
                  (!strncmp(r->str, "LOADING", 7) || !strncmp(r->str, "MASTERDOWN", 10)));
        if (ok)
            i->last_ok_ping = now;
    } else if (kind == FR_SEN_REPLY_INFO && r->type == FR_REPLY_STRING) {
        on_info(i, r->str);
    }
}

static void on_read(struct bufferevent *bev, void *arg)
{
    fr_sen_inst *i = arg;
    struct evbuffer *in = bufferevent_get_input(bev);
    size_t n = evbuffer_get_length(in);
    char *tmp = fr__xmalloc(n ? n : 1);
    evbuffer_remove(in, tmp, n);
    fr__buf_append(&i->in, tmp, n);
    free(tmp);
    size_t off = 0;
    while (off < i->in.len) {
        size_t used = 0;
        fr_reply *r = NULL;
        int rc = fr_reply_parse(i->in.p + off, i->in.len - off, &used, &r);
        if (rc == 0)
            break;
        if (rc < 0 || !i->npending) {
            fr_reply_free(r);
            fr__sen_link_close(i);
            return;
        }
        int kind = i->pending[0];
        memmove(i->pending, i->pending + 1, --i->npending);
        on_reply(i, kind, r);
        fr_reply_free(r);
        off += used;
    }
    fr__buf_consume(&i->in, off);
}

static void on_event(struct bufferevent *bev, short what, void *arg)
{
    (void)bev;
    fr_sen_inst *i = arg;
    if (what & BEV_EVENT_CONNECTED) {
        i->connected = 1;
        i->last_ping_at = i->info_asked = 0;
        fr__sen_link_tick(i, fr__mono_ms()); /* ping and ask at once */
        return;
    }
    if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)) {
        fr__sen_link_close(i);
        i->reconnect_at = fr__mono_ms() + fr__sen_ping_period(i->m);
    }
}

static void connect_link(fr_sen_inst *i, int64_t now)
{
    i->reconnect_at = now + fr__sen_ping_period(i->m);
    char port[16];
    snprintf(port, sizeof port, "%d", i->port);
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV};
    struct addrinfo *ai = NULL;
    if (getaddrinfo(i->ip, port, &hints, &ai) != 0 || !ai)
        return;
    i->bev = bufferevent_socket_new(i->m->s->srv->base, -1, BEV_OPT_CLOSE_ON_FREE);
    if (i->bev) {
        bufferevent_setcb(i->bev, on_read, NULL, on_event, i);
        bufferevent_enable(i->bev, EV_READ | EV_WRITE);
        if (bufferevent_socket_connect(i->bev, ai->ai_addr, (int)ai->ai_addrlen) < 0)
            fr__sen_link_close(i);
    }
    freeaddrinfo(ai);
}

void fr__sen_link_tick(fr_sen_inst *i, int64_t now)
{
    if (!i->bev) {
        if (now >= i->reconnect_at)
            connect_link(i, now);
        return;
    }
    if (!i->connected)
        return;
    /* Redis drops a link whose PING went unanswered for half of
     * down-after: a stuck connection must not hide a restarted server */
    if (i->ping_sent && now - i->ping_sent > i->m->down_after / 2) {
        fr__sen_link_close(i);
        i->reconnect_at = now;
        return;
    }
    if (!i->ping_sent && now - i->last_ping_at >= fr__sen_ping_period(i->m)) {
        const char *ping[] = {"PING"};
        fr__sen_send(i, FR_SEN_REPLY_PING, 1, ping);
        i->ping_sent = i->last_ping_at = now;
    }
    if (now - i->info_asked >= fr__sen_info_period(i->m)) {
        const char *info[] = {"INFO"};
        fr__sen_send(i, FR_SEN_REPLY_INFO, 1, info);
        i->info_sent++;
        i->info_asked = now;
    }
}
