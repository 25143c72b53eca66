package io.agentmesh.sim.report;

import io.agentmesh.sim.check.AgentRecords;
import io.agentmesh.sim.check.ConsensusRecords;
import io.agentmesh.sim.check.History;
import io.agentmesh.sim.check.OneLeaderPerTermChecker;
import io.agentmesh.sim.check.Verdict;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import static io.agentmesh.sim.report.Svg.LANE;
import static io.agentmesh.sim.report.Svg.esc;
import static io.agentmesh.sim.report.Svg.label;
import static io.agentmesh.sim.report.Svg.marker;
import static io.agentmesh.sim.report.Svg.niceCeiling;
import static io.agentmesh.sim.report.Svg.niceStep;
import static io.agentmesh.sim.report.Svg.open;
import static io.agentmesh.sim.report.Svg.rect;
import static io.agentmesh.sim.report.Svg.formatSeconds;
import static io.agentmesh.sim.report.Svg.valueGrid;
import static io.agentmesh.sim.report.Svg.x;

/**
 * One self-contained HTML file (inline CSS and SVG, no scripts, nothing fetched) for a person to look at a run:
 * verdicts, figures, a timeline per node (up, down, cut off, leading) under the fault episodes and, with consensus, a
 * lane showing who led each term and when intents were performed, replication lag over time, how long the nodes took
 * to catch up after each heal, and the intents.
 */
public final class HtmlReport {
    private static final String[] PALETTE = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b",
            "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};
    /** Leader bars: one per node, none of them the up/down/cut-off or fault colors. */
    private static final String[] LEADER_PALETTE = {"#3949ab", "#00897b", "#8e24aa", "#6d4c41", "#0277bd",
            "#558b2f", "#ad1457", "#37474f", "#9e9d24", "#4527a0"};
    private static final Map<String, String> FAULT_COLORS = Map.of("partition", "#ef6c00", "crash", "#c62828",
            "loss", "#6a1b9a", "delay", "#1565c0", "skew", "#00838f", "stall", "#558b2f", "datagram", "#4e342e");

    private HtmlReport() {
    }

    public static void write(RunReport r, Path file) throws IOException {
        Files.createDirectories(file.toAbsolutePath().getParent());
        Files.writeString(file, render(r));
    }

    public static String render(RunReport r) {
        History h = r.history();
        StringBuilder b = new StringBuilder(64 * 1024);
        b.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>")
                .append(esc(r.title())).append(" - ").append(r.passed() ? "PASS" : "FAIL").append("</title>\n<style>")
                .append("body{font:14px/1.45 system-ui,sans-serif;margin:24px auto;max-width:1060px;color:#222}")
                .append("h1{font-size:22px}h2{font-size:17px;margin-top:28px}")
                .append("table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #ddd;padding:3px 8px;")
                .append("text-align:left;vertical-align:top}th{background:#f5f5f5}")
                .append(".pass{color:#1b5e20;font-weight:600}.fail{color:#b71c1c;font-weight:600}")
                .append("code{background:#f3f3f3;padding:2px 5px;border-radius:3px;word-break:break-all}")
                .append("svg{background:#fff;border:1px solid #e0e0e0}.note{color:#666;font-size:12px}")
                .append("</style></head><body>\n");
        b.append("<h1>").append(esc(r.title())).append(" (").append(esc(r.mode())).append("): <span class=\"")
                .append(r.passed() ? "pass\">PASS" : "fail\">FAIL").append("</span></h1>\n");
        if (!r.replay().isEmpty()) {
            b.append("<p>Replay: <code>").append(esc(r.replay())).append("</code></p>\n");
        }
        if (!r.traceHash().isEmpty()) {
            b.append("<p class=\"note\">Trace hash (SHA-256 of the event log): ").append(esc(r.traceHash()))
                    .append("</p>\n");
        }
        b.append("<h2>Verdicts</h2>\n<table><tr><th>check</th><th>result</th><th>summary</th></tr>\n");
        for (Verdict v : r.verdicts()) {
            b.append("<tr><td>").append(esc(v.checker())).append("</td><td class=\"")
                    .append(v.passed() ? "pass\">PASS" : "fail\">FAIL").append("</td><td>").append(esc(v.summary()));
            if (!v.violations().isEmpty()) {
                b.append("<details><summary>").append(v.violations().size()).append(" violations</summary><ul>");
                for (String x : v.violations()) {
                    b.append("<li>").append(esc(x)).append("</li>");
                }
                b.append("</ul></details>");
            }
            b.append("</td></tr>\n");
        }
        b.append("</table>\n");
        b.append("<h2>Parameters and figures</h2>\n<table><tr><th colspan=\"2\">parameters</th><th colspan=\"2\">")
                .append("figures</th></tr>\n");
        List<Map.Entry<String, Object>> ps = new ArrayList<>(r.parameters().entrySet());
        List<Map.Entry<String, Object>> fs = new ArrayList<>(r.figures().entrySet());
        for (int i = 0; i < Math.max(ps.size(), fs.size()); i++) {
            b.append("<tr>");
            cell(b, i < ps.size() ? ps.get(i) : null);
            cell(b, i < fs.size() ? fs.get(i) : null);
            b.append("</tr>\n");
        }
        b.append("</table>\n");

        long end = Math.max(1, h.endMs());
        b.append("<h2>Timeline</h2>\n<p class=\"note\">Fault episodes on top; per node: green up, red down, orange cut")
                .append(" off from some peers (darker: more of them). Dashed line: final heal; green line: converged.")
                .append(" Hover a bar for details.</p>\n");
        if (hasConsensus(h)) {
            b.append("<p class=\"note\">Leader lane: who led, one color per node, one bar per term; black ticks:")
                    .append(" intents performed, blue ticks: reconciled by a new leader. A dark stripe along a node's")
                    .append(" row: it believed itself leader then.</p>\n");
        }
        timeline(b, h, end);
        b.append("<h2>Replication lag</h2>\n<p class=\"note\">Per node, durable changes it lacks that some running node")
                .append(" holds (sampled every 250 ms; gaps: node down).</p>\n");
        lagChart(b, h, end);
        b.append("<h2>Convergence after heals</h2>\n<p class=\"note\">Time from each heal (partition healed, node")
                .append(" restarted, impairment lifted, final heal) until every running node held every change any of")
                .append(" them held at the heal. Gray: not reached before the next fault or the end.</p>\n");
        healChart(b, h, end);
        finals(b, h);
        if (hasConsensus(h)) {
            intents(b, h);
        }
        b.append("</body></html>\n");
        return b.toString();
    }

    private static void cell(StringBuilder b, Map.Entry<String, Object> e) {
        if (e == null) {
            b.append("<td></td><td></td>");
        } else {
            b.append("<td>").append(esc(e.getKey())).append("</td><td>").append(esc(String.valueOf(e.getValue())))
                    .append("</td>");
        }
    }

    private static void axis(StringBuilder b, long end, int y) {
        long step = niceStep(end / 8);
        for (long t = 0; t <= end; t += step) {
            double xx = x(t, end);
            b.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#ccc\"/>",
                    xx, y, xx, y + 4));
            b.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" font-size=\"10\" text-anchor=\"middle\">%s"
                    + "</text>", xx, y + 15, formatSeconds(t)));
        }
    }

    private static void timeline(StringBuilder b, History h, long end) {
        List<String> kinds = new ArrayList<>();
        for (History.Fault f : h.faults()) {
            if (!kinds.contains(f.kind())) {
                kinds.add(f.kind());
            }
        }
        boolean consensus = hasConsensus(h);
        List<AgentRecords.Life> lives = h.records(AgentRecords.Life.class);
        int rows = kinds.size() + h.nodes().size() + (consensus ? 1 : 0) + (lives.isEmpty() ? 0 : 1);
        int height = 10 + rows * LANE + 30;
        open(b, height);
        int y = 10;
        Map<String, List<long[]>> leading = consensus ? OneLeaderPerTermChecker.leaderSpans(h, end) : Map.of();
        for (String kind : kinds) {
            label(b, y, kind);
            String color = FAULT_COLORS.getOrDefault(kind, "#555");
            for (History.Fault f : h.faults()) {
                if (!f.kind().equals(kind)) {
                    continue;
                }
                double x1 = x(f.startMs(), end);
                double w = Math.max(2, x(Math.max(f.endMs(), f.startMs()), end) - x1);
                b.append(String.format(Locale.ROOT, "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"%s\""
                        + " fill-opacity=\"0.55\"><title>%s</title></rect>", x1, y + 3, w, LANE - 6, color,
                        esc(formatSeconds(f.startMs()) + ": " + f.description())));
            }
            y += LANE;
        }
        if (consensus) {
            leaderLane(b, h, leading, end, y);
            y += LANE;
        }
        if (!lives.isEmpty()) {
            agentLane(b, h, lives, end, y);
            y += LANE;
        }
        for (String node : h.nodes()) {
            label(b, y, node);
            for (long[] up : upIntervals(h, node, end)) {
                rect(b, up[0], up[1], end, y, "#43a047", 1.0, node + " up " + formatSeconds(up[0]) + "-"
                        + formatSeconds(up[1]));
            }
            for (long[] down : downIntervals(h, node, end)) {
                rect(b, down[0], down[1], end, y, "#e53935", 1.0, node + " down " + formatSeconds(down[0]) + "-"
                        + formatSeconds(down[1]));
            }
            int peers = Math.max(1, h.nodes().size() - 1);
            List<History.Reachability> rs = h.reachability().stream().filter(r -> r.node().equals(node)).toList();
            for (int i = 0; i < rs.size(); i++) {
                History.Reachability r = rs.get(i);
                if (r.unreachablePeers() == 0) {
                    continue;
                }
                long until = i + 1 < rs.size() ? rs.get(i + 1).atMs() : Math.max(h.finalHealMs(), r.atMs());
                rect(b, r.atMs(), until, end, y, blend("#ffcc80", "#e65100", (double) r.unreachablePeers() / peers), 1.0,
                        node + " cut off from " + r.unreachablePeers() + " of " + peers + " peers "
                                + formatSeconds(r.atMs()) + "-" + formatSeconds(until));
            }
            for (long[] span : leading.getOrDefault(node, List.of())) {
                double x1 = x(span[0], end);
                b.append(String.format(Locale.ROOT, "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"4\""
                        + " fill=\"#0d1b4c\"><title>%s</title></rect>", x1, y + 3, Math.max(1, x(span[1], end) - x1),
                        esc(node + " leader of term " + span[2] + " " + formatSeconds(span[0]) + "-"
                                + formatSeconds(span[1]))));
            }
            y += LANE;
        }
        marker(b, h.finalHealMs(), end, 10, y, "#333", "6,3", "final heal at " + formatSeconds(h.finalHealMs()));
        if (h.convergedMs() >= 0) {
            marker(b, h.convergedMs(), end, 10, y, "#2e7d32", "", "converged at " + formatSeconds(h.convergedMs()));
        }
        axis(b, end, y + 2);
        b.append("</svg>\n");
    }

    static boolean hasConsensus(History h) {
        return !h.records(ConsensusRecords.LeaderObservation.class).isEmpty();
    }

    /**
     * The agent lane: one bar per agent process life in its node's color (as in the leader lane), a thin red band
     * where two lives overlap, so a failing agent-overlap verdict can be seen against the leaders and faults above.
     */
    private static void agentLane(StringBuilder b, History h, List<AgentRecords.Life> lives, long end, int y) {
        label(b, y, "agent");
        for (AgentRecords.Life l : lives) {
            int n = h.nodes().indexOf(l.node());
            String color = LEADER_PALETTE[Math.max(0, n) % LEADER_PALETTE.length];
            rect(b, l.startMs(), l.endOr(end), end, y, color, 0.8, "agent on " + l.node() + " fence " + l.fence()
                    + ", " + formatSeconds(l.startMs()) + "-" + (l.ended() ? formatSeconds(l.endMs()) + " ("
                    + l.endedBy() + ")" : "end of run"));
        }
        for (int i = 0; i < lives.size(); i++) {
            for (int j = i + 1; j < lives.size(); j++) {
                long from = Math.max(lives.get(i).startMs(), lives.get(j).startMs());
                long to = Math.min(lives.get(i).endOr(end), lives.get(j).endOr(end));
                if (to > from) {
                    double x1 = x(from, end);
                    b.append(String.format(Locale.ROOT, "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"4\""
                            + " fill=\"#d50000\"><title>%s</title></rect>", x1, y + LANE - 7,
                            Math.max(1, x(to, end) - x1), esc("two agent processes alive " + formatSeconds(from)
                                    + "-" + formatSeconds(to))));
                }
            }
        }
    }

    /** One bar per (leader, term) span in the node's color, with the node's name when it fits; ticks per action. */
    private static void leaderLane(StringBuilder b, History h, Map<String, List<long[]>> leading, long end, int y) {
        label(b, y, "leader");
        for (Map.Entry<String, List<long[]>> e : leading.entrySet()) {
            int n = h.nodes().indexOf(e.getKey());
            String color = LEADER_PALETTE[Math.max(0, n) % LEADER_PALETTE.length];
            for (long[] span : e.getValue()) {
                String title = e.getKey() + " leads term " + span[2] + ", " + formatSeconds(span[0]) + "-"
                        + formatSeconds(span[1]);
                rect(b, span[0], span[1], end, y, color, 0.8, title);
                double x1 = x(span[0], end);
                double w = x(span[1], end) - x1;
                if (w > 26) {
                    b.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" font-size=\"10\""
                            + " fill=\"#fff\">%s<title>%s</title></text>", x1 + 3, y + LANE / 2 + 4,
                            esc(e.getKey() + (w > 70 ? " t" + span[2] : "")), esc(title)));
                }
            }
        }
        for (ConsensusRecords.Action a : h.records(ConsensusRecords.Action.class)) {
            double xx = x(a.atMs(), end);
            b.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"%s\""
                    + " stroke-width=\"1\"><title>%s</title></line>", xx, y + 1, xx, y + 7,
                    a.isPerform() ? "#000" : "#1565c0", esc(formatSeconds(a.atMs()) + " " + a.node() + " " + a.type()
                            + " " + a.intentId() + " under (" + a.term() + ", " + a.index() + ")")));
        }
    }

    /** Every intent: where and when it was requested, who acted on it under which claim, its outcome. */
    private static void intents(StringBuilder b, History h) {
        Map<String, List<ConsensusRecords.Action>> actions = new java.util.TreeMap<>();
        for (ConsensusRecords.Action a : h.records(ConsensusRecords.Action.class)) {
            actions.computeIfAbsent(a.intentId(), i -> new ArrayList<>()).add(a);
        }
        Map<String, ConsensusRecords.OutcomeSeen> outcomes = new java.util.TreeMap<>();
        for (ConsensusRecords.IntentsFinal f : h.records(ConsensusRecords.IntentsFinal.class)) {
            f.outcomes().forEach(outcomes::putIfAbsent);
        }
        List<History.Write> requests = h.writes().stream().filter(w -> w.kind().equals("intent")).toList();
        b.append("<h2>Intents</h2>\n<details><summary>").append(requests.size())
                .append(" requested, ").append(actions.size()).append(" acted on</summary><table><tr><th>intent</th>")
                .append("<th>requested</th><th>acted on</th><th>outcome</th></tr>\n");
        int shown = 0;
        for (History.Write w : requests) {
            if (shown++ == 500) {
                b.append("<tr><td colspan=\"4\">... ").append(requests.size() - 500).append(" more in the JSON")
                        .append("</td></tr>\n");
                break;
            }
            List<String> acted = new ArrayList<>();
            for (ConsensusRecords.Action a : actions.getOrDefault(w.key(), List.of())) {
                acted.add(a.type() + " by " + a.node() + " (" + a.term() + ", " + a.index() + ") at "
                        + formatSeconds(a.atMs()));
            }
            ConsensusRecords.OutcomeSeen o = outcomes.get(w.key());
            b.append("<tr><td>").append(esc(w.key())).append("</td><td>").append(esc(w.node())).append(" at ")
                    .append(formatSeconds(w.invokedMs())).append(w.acknowledged() ? "" : " (not acknowledged)")
                    .append("</td><td>").append(esc(String.join("; ", acted))).append("</td><td>")
                    .append(o == null ? "none" : esc(o.status() + " by " + o.performedBy())).append("</td></tr>\n");
        }
        b.append("</table></details>\n");
    }

    /** Intervals during which {@code node} ran, from its lifecycle events. */
    static List<long[]> upIntervals(History h, String node, long end) {
        List<long[]> out = new ArrayList<>();
        long since = -1;
        for (History.NodeEvent e : h.nodeEvents()) {
            if (!e.node().equals(node)) {
                continue;
            }
            switch (e.kind()) {
                case START, RESTART -> since = since < 0 ? e.atMs() : since;
                case CRASH -> {
                    if (since >= 0) {
                        out.add(new long[]{since, e.atMs()});
                    }
                    since = -1;
                }
                default -> { }
            }
        }
        if (since >= 0) {
            out.add(new long[]{since, end});
        }
        return out;
    }

    static List<long[]> downIntervals(History h, String node, long end) {
        List<long[]> out = new ArrayList<>();
        long since = -1;
        for (History.NodeEvent e : h.nodeEvents()) {
            if (!e.node().equals(node)) {
                continue;
            }
            if (e.kind() == History.NodeEventKind.CRASH) {
                since = e.atMs();
            } else if ((e.kind() == History.NodeEventKind.RESTART || e.kind() == History.NodeEventKind.START)
                    && since >= 0) {
                out.add(new long[]{since, e.atMs()});
                since = -1;
            }
        }
        if (since >= 0) {
            out.add(new long[]{since, end});
        }
        return out;
    }

    private static void lagChart(StringBuilder b, History h, long end) {
        int height = 240;
        int top = 10;
        int bottom = height - 40;
        long max = 1;
        for (History.LagSample s : h.lagSamples()) {
            for (long v : s.lag()) {
                max = Math.max(max, v);
            }
        }
        max = niceCeiling(max);
        open(b, height);
        valueGrid(b, max, top, bottom, "");
        b.append("<text x=\"6\" y=\"").append(top + 12).append("\" font-size=\"11\">changes behind</text>");
        for (int n = 0; n < h.nodes().size(); n++) {
            String color = PALETTE[n % PALETTE.length];
            StringBuilder path = new StringBuilder();
            boolean pen = false;
            for (History.LagSample s : h.lagSamples()) {
                long v = s.lag().get(n);
                if (v < 0) {
                    pen = false;
                    continue;
                }
                double yy = bottom - (double) (bottom - top) * v / max;
                path.append(pen ? " L" : " M").append(String.format(Locale.ROOT, "%.1f %.1f", x(s.atMs(), end), yy));
                pen = true;
            }
            if (!path.isEmpty()) {
                b.append("<path d=\"").append(path).append("\" fill=\"none\" stroke=\"").append(color)
                        .append("\" stroke-width=\"1.3\"><title>").append(esc(h.nodes().get(n)))
                        .append("</title></path>\n");
            }
            b.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"10\" height=\"10\" fill=\"%s\"/>"
                    + "<text x=\"%d\" y=\"%d\" font-size=\"11\">%s</text>", 6, top + 24 + n * 15, color, 20,
                    top + 33 + n * 15, esc(h.nodes().get(n))));
        }
        marker(b, h.finalHealMs(), end, top, bottom, "#333", "6,3", "final heal");
        axis(b, end, bottom + 2);
        b.append("</svg>\n");
    }

    private static void healChart(StringBuilder b, History h, long end) {
        List<History.Heal> heals = h.heals();
        if (heals.isEmpty()) {
            b.append("<p>No heals recorded.</p>\n");
            return;
        }
        int height = 220;
        int top = 10;
        int bottom = height - 40;
        long max = 1;
        for (History.Heal heal : heals) {
            max = Math.max(max, heal.catchUpMs());
        }
        max = niceCeiling(max);
        open(b, height);
        valueGrid(b, max, top, bottom, " ms");
        for (History.Heal heal : heals) {
            double xx = x(heal.atMs(), end);
            boolean measured = heal.catchUpMs() >= 0;
            double hgt = measured ? Math.max(2, (double) (bottom - top) * heal.catchUpMs() / max) : 6;
            String color = !measured ? "#9e9e9e" : heal.description().equals("final heal") ? "#2e7d32" : "#1565c0";
            b.append(String.format(Locale.ROOT, "<rect x=\"%.1f\" y=\"%.1f\" width=\"5\" height=\"%.1f\" fill=\"%s\">"
                    + "<title>%s</title></rect>", xx - 2.5, bottom - hgt, hgt, color,
                    esc(formatSeconds(heal.atMs()) + " " + heal.description() + ": " + (measured
                            ? heal.catchUpMs() + " ms" : "not measured"))));
        }
        axis(b, end, bottom + 2);
        b.append("</svg>\n<details><summary>Heals (").append(heals.size()).append(")</summary><table><tr><th>at")
                .append("</th><th>heal</th><th>caught up after</th></tr>");
        for (History.Heal heal : heals) {
            b.append("<tr><td>").append(formatSeconds(heal.atMs())).append("</td><td>").append(esc(heal.description()))
                    .append("</td><td>").append(heal.catchUpMs() >= 0 ? heal.catchUpMs() + " ms" : "-")
                    .append("</td></tr>");
        }
        b.append("</table></details>\n");
    }

    private static void finals(StringBuilder b, History h) {
        b.append("<h2>Final state per node</h2>\n<table><tr><th>node</th><th>up</th><th>heads</th>")
                .append("<th>durable changes</th><th>memory</th><th>tasks</th><th>waiting</th><th>rejected</th></tr>\n");
        for (History.NodeFinal f : h.finals().values()) {
            long durable = f.vector().values().stream().mapToLong(Long::longValue).sum();
            List<String> shortHeads = new ArrayList<>();
            f.heads().forEach(x -> shortHeads.add(x.substring(0, Math.min(10, x.length()))));
            b.append("<tr><td>").append(esc(f.node())).append("</td><td>").append(f.up()).append("</td><td>")
                    .append(esc(String.join(" ", shortHeads))).append("</td><td>").append(durable).append("</td><td>")
                    .append(f.memoryIds().size()).append("</td><td>").append(f.taskIds().size()).append("</td><td>")
                    .append(f.pendingChanges()).append("</td><td>").append(f.rejectedChanges()).append("</td></tr>\n");
        }
        b.append("</table>\n");
        Map<String, Long> byKind = new LinkedHashMap<>();
        for (History.Problem p : h.problems()) {
            byKind.merge(p.kind(), 1L, Long::sum);
        }
        if (!byKind.isEmpty()) {
            b.append("<h2>Problems</h2>\n<ul>");
            for (History.Problem p : h.problems().stream().limit(100).toList()) {
                b.append("<li>").append(formatSeconds(p.atMs())).append(' ').append(esc(p.node())).append(' ')
                        .append(esc(p.kind())).append(": ").append(esc(p.detail())).append("</li>");
            }
            b.append("</ul>\n");
        }
    }

    /** The color {@code t} of the way from {@code from} to {@code to} (both #rrggbb). */
    static String blend(String from, String to, double t) {
        int a = Integer.parseInt(from.substring(1), 16);
        int b = Integer.parseInt(to.substring(1), 16);
        int out = 0;
        for (int shift = 16; shift >= 0; shift -= 8) {
            int x = (a >> shift) & 0xff;
            int y = (b >> shift) & 0xff;
            out |= ((int) Math.round(x + (y - x) * Math.max(0, Math.min(1, t)))) << shift;
        }
        return String.format(Locale.ROOT, "#%06x", out);
    }
}
