# table.awk - the benchmark tables from runs.tsv (one row per run)
#
# Usage: awk -v format=text|markdown -f table.awk runs.tsv
# 1. One line per run.
# 2. zchat against its peers, per scenario and figure: zchat, InspIRCd,
#    ngIRCd, and zchat / the best peer (for deliveries/s the best is the
#    highest and a ratio above 1 is better; for every other figure the best
#    is the lowest and a ratio below 1 is better).
# 3. What history in SQLite and metrics cost: zchat's default (memory
#    store, metrics on) against zchat-sqlite and zchat-nometrics.
# 4. Notes: the router's share of the CPU and the messages/s one router
#    core would carry (S5 is the ceiling), then what each figure means.
BEGIN {
    FS = "\t"
    npeers = split("inspircd,ngircd", peers, ",")
    peer_title["inspircd"] = "InspIRCd"; peer_title["ngircd"] = "ngIRCd"
    # figures of the comparison: key, title, higher is better, idle runs
    nfigures = split("deliv,p50,p99,cpu,rss,sys,cs,lost", figures, ",")
    title["deliv"] = "deliveries/s"; title["p50"] = "p50 ms"; title["p99"] = "p99 ms"
    title["cpu"] = "CPU us/delivery"; title["rss"] = "RSS KB/conn"
    title["sys"] = "syscalls/msg"; title["cs"] = "ctx switches/msg"; title["lost"] = "lost"
    title["ready"] = "ready"; title["msgs"] = "messages/s"
    higher["deliv"] = 1; higher["ready"] = 1; higher["msgs"] = 1
    nidle = split("ready,rss", idle_figures, ",")
    ncost = split("msgs,cpu,p99,sys,cs,rss", cost_figures, ",")
}
NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
function v(name) { return (name in col) ? $(col[name]) : "" }
function ms(us) { return sprintf("%.2f", us / 1000) }
# a per-message count: "n/a" when it was not measured (absent or negative)
function count(x) { return (x == "" || x < 0) ? "n/a" : sprintf("%.2f", x) }
function line(cells, n, widths,    i, s) {
    if (format == "markdown") {
        s = "|"
        for (i = 1; i <= n; i++) s = s " " cells[i] " |"
        print s
    } else {
        s = ""
        for (i = 1; i <= n; i++)
            s = s sprintf(i <= 2 ? "%-" widths[i] "s " : "%" widths[i] "s ", cells[i])
        sub(/ +$/, "", s)
        print s
    }
}
function rule(n,    s, i) {
    if (format != "markdown") return
    s = "|"; for (i = 1; i <= n; i++) s = s "---|"; print s
}
function heading(text) {
    print ""
    print (format == "markdown" ? "**" text "**" : "== " text)
    print ""
}
function note(text) { print (format == "markdown" ? "- " : "") text }
{
    idle = (v("mode") == "idle")
    label = v("label"); server = v("server")
    # S3-tls (run.sh's label) is S3/tls here, beside the plain S3 rows
    transport = v("transport")
    if (transport != "" && transport != "tcp") {
        sub("-" transport "$", "", label)
        label = label "/" transport
    }
    c[1] = label; c[2] = server; c[3] = v("gateways"); c[4] = v("clients")
    c[5] = v("ready"); c[6] = idle ? "-" : sprintf("%.0f", v("messages_per_s"))
    c[7] = idle ? "-" : sprintf("%.0f", v("deliveries_per_s"))
    c[8] = idle ? "-" : ms(v("p50_us")); c[9] = idle ? "-" : ms(v("p99_us"))
    c[10] = idle ? "-" : ms(v("p999_us")); c[11] = idle ? "-" : ms(v("max_us"))
    c[12] = v("lost"); c[13] = v("duplicated"); c[14] = v("out_of_order"); c[15] = v("misrouted")
    c[16] = idle ? "-" : sprintf("%.3f", v("cpu_us_per_delivery"))
    c[17] = sprintf("%.2f", v("rss_kb_per_conn"))
    c[18] = (idle || v("account_messages") == 0) ? "-" : count(v("syscalls_per_message"))
    c[19] = (idle || v("account_messages") == 0) ? "-" : count(v("account_switches_per_message"))
    ncells = 19
    rows[NR] = ""
    for (i = 1; i <= ncells; i++) rows[NR] = rows[NR] (i > 1 ? SUBSEP : "") c[i]
    key = label SUBSEP server
    have[key] = 1
    value[key, "deliv"] = v("deliveries_per_s"); value[key, "msgs"] = v("messages_per_s")
    value[key, "p50"] = v("p50_us") / 1000; value[key, "p99"] = v("p99_us") / 1000
    value[key, "cpu"] = v("cpu_us_per_delivery"); value[key, "rss"] = v("rss_kb_per_conn")
    value[key, "ready"] = v("ready"); value[key, "lost"] = v("lost")
    value[key, "sys"] = v("account_messages") > 0 ? v("syscalls_per_message") : -1
    value[key, "cs"] = v("account_messages") > 0 ? v("account_switches_per_message") : -1
    isidle[label] = idle
    # the router's share: zchat lists the router's pid first
    if (server ~ /^zchat/ && !idle && v("first_us_per_message") > 0)
        notes[++nnotes] = sprintf("%s %s (%d gateways): router CPU %.2f us per message, %.0f%% of one core -> about %.0f messages/s per router core (measured: %.0f messages/s)",
            label, server, v("gateways"), v("first_us_per_message"), 100 * v("first_core_share"),
            1e6 / v("first_us_per_message"), v("messages_per_s"))
    if (!(label in seen)) { seen[label] = 1; labels[++nlabels] = label }
    last = NR
}
function shown(figure, x) {
    if (x == "" || (x < 0 && (figure == "sys" || figure == "cs"))) return "n/a"
    if (figure == "deliv" || figure == "msgs" || figure == "ready" || figure == "lost")
        return sprintf("%.0f", x)
    if (figure == "cpu") return sprintf("%.3f", x)
    return sprintf("%.2f", x)
}
function usable(key, figure) {
    return (key in have) && value[key, figure] != "" && value[key, figure] >= 0
}
# zchat / best peer for one figure of one label ("-" when no peer has it)
function best_ratio(l, figure,    i, k, best, found, z) {
    z = l SUBSEP "zchat"
    if (figure == "lost" || !usable(z, figure)) return "-"
    found = 0
    for (i = 1; i <= npeers; i++) {
        k = l SUBSEP peers[i]
        if (!usable(k, figure)) continue
        if (!found || (higher[figure] ? value[k, figure] > best : value[k, figure] < best))
            best = value[k, figure]
        found = 1
    }
    if (!found || best == 0) return "-"
    return sprintf("%.2fx", value[z, figure] / best)
}
function ratio(a, b) { return (b > 0 && a != "" && a >= 0) ? sprintf("%.2fx", a / b) : "-" }
END {
    # 1. every run
    n = split("scenario,server,gw,clients,ready,msgs/s,deliv/s,p50 ms,p99 ms,p99.9 ms,max ms,lost,dup,ooo,misrouted,CPU us/deliv,RSS KB/conn,sys/msg,cs/msg", h, ",")
    split("9,15,3,6,6,7,8,7,7,8,7,5,4,4,4,8,8,7,6", w, ",")
    line(h, n, w); rule(n)
    for (r = 2; r <= last; r++) { m = split(rows[r], cells, SUBSEP); line(cells, m, w) }

    # 2. zchat against the peers, in the scenarios that ran both
    compared = 0
    for (i = 1; i <= nlabels; i++) {
        l = labels[i]
        compare[l] = 0
        if (!((l SUBSEP "zchat") in have)) continue
        for (p = 1; p <= npeers; p++) if ((l SUBSEP peers[p]) in have) compare[l] = 1
        compared += compare[l]
    }
    if (compared) {
        heading("zchat against InspIRCd and ngIRCd (ratio: zchat / best peer)")
        n = split("scenario,figure,zchat,InspIRCd,ngIRCd,zchat/best", h, ",")
        split("9,17,10,10,10,10", w, ",")
        line(h, n, w); rule(n)
    }
    for (i = 1; i <= nlabels; i++) {
        l = labels[i]
        if (!compare[l]) continue
        count_figures = isidle[l] ? nidle : nfigures
        for (f = 1; f <= count_figures; f++) {
            figure = isidle[l] ? idle_figures[f] : figures[f]
            cells[1] = l; cells[2] = title[figure]
            cells[3] = shown(figure, value[l SUBSEP "zchat", figure])
            for (p = 1; p <= npeers; p++) {
                k = l SUBSEP peers[p]
                cells[3 + p] = (k in have) ? shown(figure, value[k, figure]) : "-"
            }
            cells[4 + npeers] = best_ratio(l, figure)
            line(cells, 4 + npeers, w)
        }
    }

    # 3. the cost of history in SQLite and of metrics
    costs = 0
    for (i = 1; i <= nlabels; i++)
        if ((labels[i] SUBSEP "zchat-sqlite") in have || (labels[i] SUBSEP "zchat-nometrics") in have)
            costs = 1
    if (costs) {
        heading("What history in SQLite and metrics cost (zchat = memory store, metrics on)")
        n = split("scenario,figure,zchat,zchat-sqlite,sqlite/memory,zchat-nometrics,metrics on/off", h, ",")
        split("9,17,10,12,13,15,14", w, ",")
        line(h, n, w); rule(n)
        for (i = 1; i <= nlabels; i++) {
            l = labels[i]; z = l SUBSEP "zchat"; q = l SUBSEP "zchat-sqlite"; o = l SUBSEP "zchat-nometrics"
            if (!(z in have) || !((q in have) || (o in have))) continue
            for (f = 1; f <= ncost; f++) {
                figure = cost_figures[f]
                cells[1] = l; cells[2] = title[figure]; cells[3] = shown(figure, value[z, figure])
                cells[4] = (q in have) ? shown(figure, value[q, figure]) : "-"
                cells[5] = (q in have) ? ratio(value[q, figure], value[z, figure]) : "-"
                cells[6] = (o in have) ? shown(figure, value[o, figure]) : "-"
                cells[7] = (o in have) ? ratio(value[z, figure], value[o, figure]) : "-"
                line(cells, 7, w)
            }
        }
    }

    # 4. notes
    print ""
    for (i = 1; i <= nnotes; i++) note(notes[i])
    if (format == "markdown") print ""
    note("CPU us/deliv = server CPU (utime+stime of every server process and thread) over the measured window / deliveries in it: the time figure to compare on a shared, noisy machine.")
    note("sys/msg and cs/msg = system calls (raw_syscalls:sys_enter counted per thread by perf_event_open, no tracer stopping the threads) and context switches (voluntary + nonvoluntary, /proc/PID/task/*/status) of every server thread over the accounting phase after the drain (--account N messages of the same shape), per message sent; zchat is the router and all its gateways together.")
}
