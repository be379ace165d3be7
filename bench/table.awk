# table.awk - the benchmark table from runs.tsv (one row per run)
#
# Usage: awk -v format=text|markdown -f table.awk runs.tsv
# One line per run, then for each scenario run against both servers the
# ratios zchat / ngIRCd (below 1 is better for latency, CPU and memory;
# above 1 is better for deliveries/s).
BEGIN { FS = "\t" }
NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
function v(name) { return $(col[name]) }
function ms(us) { return sprintf("%.2f", us / 1000) }
function line(cells, n,    i, s) {
    if (format == "markdown") {
        s = "|"
        for (i = 1; i <= n; i++) s = s " " cells[i] " |"
        print s
    } else {
        s = sprintf("%-9s %-6s", cells[1], cells[2])
        for (i = 3; i <= n; i++) s = s sprintf(" %10s", cells[i])
        print s
    }
}
function header(    h, n) {
    n = split("scenario,server,gw,clients,ready,msgs/s,deliv/s,p50 ms,p99 ms,p99.9 ms,max ms,lost,dup,ooo,misrouted,CPU us/deliv,RSS KB/conn", h, ",")
    line(h, n)
    if (format == "markdown") { s = "|"; for (i = 1; i <= n; i++) s = s "---|"; print s }
}
{
    idle = (v("mode") == "idle")
    c[1] = v("label"); c[2] = v("server"); c[3] = v("gateways"); c[4] = v("clients")
    c[5] = v("ready"); c[6] = idle ? "-" : sprintf("%.0f", v("messages_per_s"))
    c[7] = idle ? "-" : sprintf("%.0f", v("deliveries_per_s"))
    c[8] = idle ? "-" : ms(v("p50_us")); c[9] = idle ? "-" : ms(v("p99_us"))
    c[10] = idle ? "-" : ms(v("p999_us")); c[11] = idle ? "-" : ms(v("max_us"))
    c[12] = v("lost"); c[13] = v("duplicated"); c[14] = v("out_of_order"); c[15] = v("misrouted")
    c[16] = idle ? "-" : sprintf("%.3f", v("cpu_us_per_delivery"))
    c[17] = sprintf("%.2f", v("rss_kb_per_conn"))
    rows[NR] = ""
    for (i = 1; i <= 17; i++) rows[NR] = rows[NR] (i > 1 ? SUBSEP : "") c[i]
    key = v("label") SUBSEP v("server")
    dps[key] = v("deliveries_per_s"); p99[key] = v("p99_us"); cpu[key] = v("cpu_us_per_delivery")
    rss[key] = v("rss_kb_per_conn"); ready[key] = v("ready"); lost[key] = v("lost")
    isidle[v("label")] = idle
    # the router's share: zchat lists the router's pid first
    if (v("server") == "zchat" && !idle && v("first_us_per_message") > 0)
        notes[++nnotes] = sprintf("%s zchat (%d gateways): router CPU %.2f us per message, %.0f%% of one core -> about %.0f messages/s per router core",
            v("label"), v("gateways"), v("first_us_per_message"), 100 * v("first_core_share"),
            1e6 / v("first_us_per_message"))
    if (!(v("label") in seen)) { seen[v("label")] = 1; labels[++nlabels] = v("label") }
    last = NR
}
function ratio(a, b) { return (b > 0) ? sprintf("%.2fx", a / b) : "n/a" }
END {
    header()
    for (r = 2; r <= last; r++) { n = split(rows[r], cells, SUBSEP); line(cells, n) }
    print ""
    for (i = 1; i <= nlabels; i++) {
        l = labels[i]; z = l SUBSEP "zchat"; g = l SUBSEP "ngircd"
        if (!((z in ready) && (g in ready))) continue
        if (isidle[l])
            text = sprintf("%s zchat/ngIRCd: ready %d vs %d, RSS per connection %s", l,
                           ready[z], ready[g], ratio(rss[z], rss[g]))
        else
            text = sprintf("%s zchat/ngIRCd: deliveries/s %s, p99 latency %s, CPU per delivery %s, lost %d vs %d",
                           l, ratio(dps[z], dps[g]), ratio(p99[z], p99[g]), ratio(cpu[z], cpu[g]),
                           lost[z], lost[g])
        print (format == "markdown" ? "- " : "") text
    }
    for (i = 1; i <= nnotes; i++) print (format == "markdown" ? "- " : "") notes[i]
    if (format == "markdown") print ""
    print (format == "markdown" ? "" : "") "CPU us/deliv = server CPU (utime+stime of every server process) over the measured window / deliveries in it: the figure to compare on a shared, noisy machine."
}
