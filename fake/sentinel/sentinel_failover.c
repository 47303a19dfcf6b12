/* A Sentinel's failover, step by step with Redis' events: a new epoch and
 * this Sentinel's vote for itself (the only one), the choice of a replica,
 * SLAVEOF NO ONE on it, the wait for it to report the master role, SLAVEOF
 * on the other replicas (parallel-syncs at a time) until each streams from
 * it, then +failover-end and +switch-master (see sentinel_engine.h). Runs
 * in the tick; the links' INFO replies move it forward. */
#include <stdio.h>
#include <string.h>

#include "sentinel_engine.h"

/* Redis' choice: not down, a replica that answered lately, with a
 * non-zero priority; then lowest priority, highest offset, lowest runid. */
static int eligible(const fr_sen_master *m, const fr_sen_inst *r, int64_t now)
{
    long long ping_ok = fr__sen_ping_period(m) * 5 + 1000;
    /* a link that just dropped (its clients were killed) still counts
     * when the replica answered lately: send_noone waits for the link */
    return !r->sdown && r->infos && r->role == FR_SEN_ROLE_SLAVE && r->priority &&
           now - r->last_ok_ping <= ping_ok;
}

fr_sen_inst *fr__sen_select_replica(fr_sen_master *m)
{
    fr_sen_inst *best = NULL;
    for (int k = 0; m->fo_prefer_port && k < m->nreplicas; k++)
        if (m->replicas[k]->port == m->fo_prefer_port && eligible(m, m->replicas[k], fr__mono_ms()))
            return m->replicas[k];
    int64_t now = fr__mono_ms();
    for (int k = 0; k < m->nreplicas; k++) {
        fr_sen_inst *r = m->replicas[k];
        if (!eligible(m, r, now))
            continue;
        if (!best || r->priority < best->priority ||
            (r->priority == best->priority &&
             (r->offset > best->offset ||
              (r->offset == best->offset && strcmp(r->runid, best->runid) < 0))))
            best = r;
    }
    return best;
}

static void set_state(fr_sen_master *m, int st)
{
    m->fo_state = st;
    m->fo_state_at = fr__mono_ms();
}

static void abort_failover(fr_sen_master *m, const char *why)
{
    fr__sen_event(&m->inst, why, NULL);
    if (m->promoted)
        m->promoted->reconf = FR_SEN_RECONF_NONE;
    for (int k = 0; k < m->nreplicas; k++)
        m->replicas[k]->reconf = FR_SEN_RECONF_NONE;
    m->promoted = NULL;
    m->fo_forced = 0;
    m->fo_prefer_port = 0;
    set_state(m, FR_SEN_FO_NONE);
    m->fo_next_try = fr__mono_ms() + m->failover_timeout * 2; /* as Redis */
}

int fr__sentinel_replica_ready(fr_sen_master *m, int port)
{
    for (int k = 0; k < m->nreplicas; k++) {
        fr_sen_inst *r = m->replicas[k];
        if (r->port != port)
            continue;
        if (eligible(m, r, fr__mono_ms()))
            return 1;
        r->info_asked = 0; /* its role may have changed since the last INFO: ask now */
        return 0;
    }
    return 0;
}

int fr__sentinel_failover_to(fr_sen_master *m, int port)
{
    if (m->fo_state != FR_SEN_FO_NONE)
        return -1;
    m->fo_prefer_port = port;
    int rc = fr__sentinel_failover(m);
    if (rc < 0)
        m->fo_prefer_port = 0;
    return rc;
}

int fr__sentinel_failover(fr_sen_master *m)
{
    if (m->fo_state != FR_SEN_FO_NONE)
        return -1;
    if (!m->odown && !fr__sen_select_replica(m))
        return -2;
    struct fr_sentinel *s = m->s;
    m->fo_forced = !m->odown;
    m->fo_epoch = ++s->current_epoch;
    m->fo_start = fr__mono_ms();
    char n[32];
    snprintf(n, sizeof n, "%llu", (unsigned long long)m->fo_epoch);
    s->h->publish(s->srv, "+new-epoch", n);
    fr__sen_event(&m->inst, "+try-failover", NULL);
    /* the only Sentinel votes for itself and wins */
    m->leader_epoch = m->fo_epoch;
    snprintf(m->leader, sizeof m->leader, "%s", s->myid);
    char vote[96];
    snprintf(vote, sizeof vote, "%s %llu", s->myid, (unsigned long long)m->fo_epoch);
    s->h->publish(s->srv, "+vote-for-leader", vote);
    fr__sen_event(&m->inst, "+elected-leader", NULL);
    fr__sen_event(&m->inst, "+failover-state-select-slave", NULL);
    set_state(m, FR_SEN_FO_SELECT_SLAVE);
    return 0;
}

static void select_slave(fr_sen_master *m)
{
    fr_sen_inst *r = fr__sen_select_replica(m);
    if (!r) {
        abort_failover(m, "-failover-abort-no-good-slave");
        return;
    }
    m->promoted = r;
    fr__sen_event(r, "+selected-slave", NULL);
    fr__sen_event(r, "+failover-state-send-slaveof-noone", NULL);
    set_state(m, FR_SEN_FO_SEND_NOONE);
}

static void send_noone(fr_sen_master *m, int64_t now)
{
    fr_sen_inst *r = m->promoted;
    if (!r->connected) {
        if (now - m->fo_state_at > m->failover_timeout)
            abort_failover(m, "-failover-abort-slave-timeout");
        return;
    }
    fr__sen_send_slaveof(r, NULL, 0);
    m->fo_infos = r->info_sent;
    r->info_asked = 0; /* ask at once: the promotion shows in INFO */
    fr__sen_event(r, "+failover-state-wait-promotion", NULL);
    set_state(m, FR_SEN_FO_WAIT_PROMOTION);
}

static void wait_promotion(fr_sen_master *m, int64_t now)
{
    fr_sen_inst *r = m->promoted;
    /* an INFO asked after SLAVEOF NO ONE left, saying master */
    if (r->infos > m->fo_infos && r->role == FR_SEN_ROLE_MASTER) {
        m->config_epoch = m->fo_epoch;
        fr__sen_event(r, "+promoted-slave", NULL);
        fr__sen_event(&m->inst, "+failover-state-reconf-slaves", NULL);
        set_state(m, FR_SEN_FO_RECONF_SLAVES);
        return;
    }
    if (now - m->fo_state_at > m->failover_timeout)
        abort_failover(m, "-failover-abort-slave-timeout");
}

static void end_failover(fr_sen_master *m)
{
    fr_sen_inst *r = m->promoted;
    char ip[64];
    int port = r->port;
    snprintf(ip, sizeof ip, "%s", r->ip);
    fr__sen_event(&m->inst, "+failover-end", NULL);
    m->fo_forced = 0;
    m->fo_prefer_port = 0;
    fr__sen_switch(m, ip, port); /* frees r */
}

static void reconf_slaves(fr_sen_master *m, int64_t now)
{
    fr_sen_inst *p = m->promoted;
    int inflight = 0, left = 0;
    for (int k = 0; k < m->nreplicas; k++) {
        fr_sen_inst *r = m->replicas[k];
        if (r == p || r->sdown)
            continue;
        if (r->reconf == FR_SEN_RECONF_SENT && r->infos > r->reconf_infos &&
            r->role == FR_SEN_ROLE_SLAVE && r->master_port == p->port &&
            !strcmp(r->master_host, p->ip)) {
            r->reconf = FR_SEN_RECONF_INPROG;
            fr__sen_event(r, "+slave-reconf-inprog", NULL);
        }
        if (r->reconf == FR_SEN_RECONF_INPROG && r->master_link_up) {
            r->reconf = FR_SEN_RECONF_DONE;
            fr__sen_event(r, "+slave-reconf-done", NULL);
        }
        if (r->reconf == FR_SEN_RECONF_SENT || r->reconf == FR_SEN_RECONF_INPROG)
            inflight++;
        if (r->reconf != FR_SEN_RECONF_DONE)
            left++;
    }
    for (int k = 0; k < m->nreplicas && inflight < m->parallel_syncs; k++) {
        fr_sen_inst *r = m->replicas[k];
        if (r == p || r->sdown || !r->connected || r->reconf != FR_SEN_RECONF_NONE)
            continue;
        fr__sen_send_slaveof(r, p->ip, p->port);
        r->reconf = FR_SEN_RECONF_SENT;
        r->reconf_infos = r->info_sent;
        r->info_asked = 0;
        inflight++;
        fr__sen_event(r, "+slave-reconf-sent", NULL);
    }
    /* done when every replica that is up follows; Redis gives up waiting
     * after failover-timeout and ends anyway */
    if (!left || now - m->fo_state_at > m->failover_timeout)
        end_failover(m);
}

void fr__sen_failover_tick(fr_sen_master *m, int64_t now)
{
    switch (m->fo_state) {
    case FR_SEN_FO_SELECT_SLAVE:
        select_slave(m);
        break;
    case FR_SEN_FO_SEND_NOONE:
        send_noone(m, now);
        break;
    case FR_SEN_FO_WAIT_PROMOTION:
        wait_promotion(m, now);
        break;
    case FR_SEN_FO_RECONF_SLAVES:
        reconf_slaves(m, now);
        break;
    default:
        break;
    }
}
