package io.agentmesh.sim.live;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.agentmesh.sim.check.Checkers;
import io.agentmesh.sim.check.ConsensusRecords;
import io.agentmesh.sim.check.History;
import io.agentmesh.sim.report.HtmlReport;
import io.agentmesh.sim.report.JsonReport;
import io.agentmesh.sim.report.RunReport;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

import static io.agentmesh.sim.report.Svg.LANE;
import static io.agentmesh.sim.report.Svg.esc;
import static io.agentmesh.sim.report.Svg.formatSeconds;
import static io.agentmesh.sim.report.Svg.label;
import static io.agentmesh.sim.report.Svg.marker;
import static io.agentmesh.sim.report.Svg.niceStep;
import static io.agentmesh.sim.report.Svg.open;
import static io.agentmesh.sim.report.Svg.rect;
import static io.agentmesh.sim.report.Svg.x;

/**
 * The JSON result and the HTML report of a live run. Both start from the deterministic simulator's
 * {@link RunReport} (same verdict table, figures, timeline, lag and heal charts) and add what only the live run
 * has: who led in which term over time, the fault schedule, and the intents with their performed lines.
 */
public final class LiveReport {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private static final String[] TERM_COLORS = {"#2e7d32", "#1565c0", "#6a1b9a", "#00838f", "#ef6c00", "#ad1457"};

    private LiveReport() {
    }

    public static RunReport runReport(LiveResult r) {
        LiveConfig c = r.config();
        Map<String, Object> params = new LinkedHashMap<>();
        params.put("nodes", c.nodes());
        params.put("witnesses", c.witnesses());
        params.put("relays", c.relays());
        params.put("seed", c.seed());
        params.put("durationMs", c.durationMs());
        params.put("faults", LiveFault.format(c.faults()));
        params.put("writesPerSecond", c.writesPerSecond());
        params.put("intentsPerSecond", c.intentsPerSecond());
        params.put("convergenceBoundMs", c.convergenceBoundMs());
        params.put("pollIntervalMs", c.pollIntervalMs());
        params.put("cpus", Runtime.getRuntime().availableProcessors());
        return new RunReport("agentmesh sim live", "live", params, r.passed(), r.verdicts(), r.figures(),
                c.rerunCommand(), "", r.history());
    }

    /** Writes {@code live-<seed>.json} and {@code live-<seed>.html} under {@code dir}; returns the HTML path. */
    public static Path write(LiveResult r, Path dir) throws IOException {
        Files.createDirectories(dir);
        RunReport report = runReport(r);
        Path json = dir.resolve("live-" + r.config().seed() + ".json");
        Path html = dir.resolve("live-" + r.config().seed() + ".html");
        Files.writeString(json, JSON.writeValueAsString(toMap(r, report)) + "\n");
        Files.writeString(html, html(r, report));
        return html;
    }

    public static Map<String, Object> toMap(LiveResult r, RunReport report) {
        Map<String, Object> out = new LinkedHashMap<>(JsonReport.toMap(report));
        History h = r.history();
        out.put("rerunNote", "the same seed gives the same fault schedule and workload choices; process timing differs");
        List<Map<String, Object>> episodes = new ArrayList<>();
        for (FaultSchedule.Episode e : r.schedule().episodes()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("plannedStartMs", e.startMs());
            m.put("plannedEndMs", e.endMs());
            m.put("kind", e.kind().id());
            m.put("description", e.description());
            episodes.add(m);
        }
        out.put("schedule", episodes);
        out.put("terms", terms(h));
        out.put("lag", h.lagSamples());
        out.put("intents", h.records(LiveRecords.IntentRequest.class));
        out.put("performed", h.records(LiveRecords.Performed.class));
        Map<String, Integer> outcomes = new TreeMap<>();
        outcomeByIntent(h).values().forEach(s -> outcomes.merge(s, 1, Integer::sum));
        out.put("outcomes", outcomes);
        out.put("checkersLeftOut", LiveRun.LEFT_OUT);
        return out;
    }

    /**
     * Each intent's outcome as the first node (in order) that was up at the end shows it; "none" for an acknowledged
     * intent that node shows no outcome for.
     */
    static Map<String, String> outcomeByIntent(History h) {
        Set<String> acknowledged = new TreeSet<>();
        for (LiveRecords.IntentRequest r : h.records(LiveRecords.IntentRequest.class)) {
            if (r.acknowledged()) {
                acknowledged.add(r.id());
            }
        }
        Map<String, String> seen = new LinkedHashMap<>();
        for (ConsensusRecords.IntentsFinal f : h.records(ConsensusRecords.IntentsFinal.class)) {
            if (!f.up()) {
                continue;
            }
            f.outcomes().forEach((id, o) -> seen.putIfAbsent(id, o.status() == null ? "none" : o.status()));
            for (String id : acknowledged) {
                if (!f.outcomes().containsKey(id)) {
                    seen.putIfAbsent(id, "none");
                }
            }
        }
        return seen;
    }

    /** Per term: its leader, when it was first and last seen leading. */
    static List<Map<String, Object>> terms(History h) {
        Map<Long, long[]> span = new TreeMap<>();
        Map<Long, String> who = new TreeMap<>();
        for (LiveRecords.StatusSample s : h.records(LiveRecords.StatusSample.class)) {
            if (s.up() && s.isLeader()) {
                who.putIfAbsent(s.term(), s.node());
                long[] x = span.computeIfAbsent(s.term(), t -> new long[]{s.atMs(), s.atMs()});
                x[0] = Math.min(x[0], s.atMs());
                x[1] = Math.max(x[1], s.atMs());
            }
        }
        List<Map<String, Object>> out = new ArrayList<>();
        for (Map.Entry<Long, long[]> e : span.entrySet()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("term", e.getKey());
            m.put("leader", who.get(e.getKey()));
            m.put("firstSeenMs", e.getValue()[0]);
            m.put("lastSeenMs", e.getValue()[1]);
            out.add(m);
        }
        return out;
    }

    public static String html(LiveResult r, RunReport report) {
        String base = HtmlReport.render(report);
        StringBuilder extra = new StringBuilder();
        leaderSection(extra, r.history());
        String marker = "<h2>Replication lag</h2>";
        int at = base.indexOf(marker);
        if (at < 0) {
            at = base.lastIndexOf("</body>");
        }
        StringBuilder tail = new StringBuilder();
        tail.append("<h2>Checkers left out</h2>\n<p class=\"note\">The simulator's checkers a live run cannot")
                .append(" support, by name:</p>\n<ul>");
        for (Checkers.LeftOut l : LiveRun.LEFT_OUT) {
            tail.append("<li><b>").append(esc(l.checker())).append("</b>: ").append(esc(l.why())).append("</li>");
        }
        tail.append("</ul>\n");
        scheduleSection(tail, r);
        intentsSection(tail, r.history());
        String withLeaders = base.substring(0, at) + extra + base.substring(at);
        int end = withLeaders.lastIndexOf("</body>");
        return withLeaders.substring(0, end) + tail + withLeaders.substring(end);
    }

    private static void leaderSection(StringBuilder b, History h) {
        long end = Math.max(1, h.endMs());
        List<String> nodes = h.nodes();
        Map<String, List<LiveRecords.StatusSample>> byNode = new LinkedHashMap<>();
        nodes.forEach(nd -> byNode.put(nd, new ArrayList<>()));
        for (LiveRecords.StatusSample s : h.records(LiveRecords.StatusSample.class)) {
            byNode.computeIfAbsent(s.node(), k -> new ArrayList<>()).add(s);
        }
        b.append("<h2>Leader</h2>\n<p class=\"note\">Consensus role per node from its status, sampled: a solid bar")
                .append(" while it said it led (one color per term, term number on the bar), light while it")
                .append(" followed, yellow as candidate, gray when it did not answer. Hover for details.</p>\n");
        int height = 10 + nodes.size() * LANE + 30;
        open(b, height);
        int y = 10;
        for (String node : nodes) {
            label(b, y, node);
            List<LiveRecords.StatusSample> ss = byNode.get(node);
            int i = 0;
            while (i < ss.size()) {
                LiveRecords.StatusSample first = ss.get(i);
                String key = state(first);
                int j = i + 1;
                while (j < ss.size() && state(ss.get(j)).equals(key)) {
                    j++;
                }
                long from = first.atMs();
                long to = j < ss.size() ? ss.get(j).atMs() : ss.get(j - 1).atMs();
                if (to > from) {
                    String color;
                    double opacity = 1.0;
                    if (!first.up()) {
                        color = "#bdbdbd";
                    } else if (first.isLeader()) {
                        color = TERM_COLORS[(int) Math.floorMod(first.term(), (long) TERM_COLORS.length)];
                    } else if ("candidate".equals(first.role())) {
                        color = "#fdd835";
                    } else {
                        color = "#90caf9";
                        opacity = 0.35;
                    }
                    String title = node + " " + (first.up() ? first.role() + " term " + first.term()
                            + (first.leader() != null && !first.isLeader() ? " (leader " + first.leader() + ")" : "")
                            : "no answer") + " " + formatSeconds(from) + "-" + formatSeconds(to);
                    rect(b, from, to, end, y, color, opacity, title);
                    double x1 = x(from, end);
                    double w = Math.max(1, x(to, end) - x1);
                    if (first.up() && first.isLeader() && w > 18) {
                        b.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" font-size=\"10\""
                                + " fill=\"#fff\">t%d</text>", x1 + 3, y + LANE / 2 + 4, first.term()));
                    }
                }
                i = j;
            }
            y += LANE;
        }
        marker(b, h.finalHealMs(), end, 10, y, "#333", "6,3", "final heal");
        long step = niceStep(end / 8);
        for (long t = 0; t <= end; t += step) {
            double xx = x(t, end);
            b.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" font-size=\"10\" text-anchor=\"middle\">"
                    + "%s</text>", xx, y + 17, formatSeconds(t)));
        }
        b.append("</svg>\n");
        List<Map<String, Object>> terms = terms(h);
        b.append("<details><summary>Terms (").append(terms.size()).append(")</summary><table><tr><th>term</th>")
                .append("<th>leader</th><th>seen leading</th></tr>");
        for (Map<String, Object> t : terms) {
            b.append("<tr><td>").append(t.get("term")).append("</td><td>").append(esc(String.valueOf(t.get("leader"))))
                    .append("</td><td>").append(formatSeconds((Long) t.get("firstSeenMs"))).append(" - ")
                    .append(formatSeconds((Long) t.get("lastSeenMs"))).append("</td></tr>");
        }
        b.append("</table></details>\n");
    }

    private static String state(LiveRecords.StatusSample s) {
        return s.up() ? s.role() + "/" + s.term() + "/" + s.leader() : "down";
    }

    private static void scheduleSection(StringBuilder b, LiveResult r) {
        b.append("<h2>Fault schedule</h2>\n<p class=\"note\">Drawn from the seed before the run; the same seed gives")
                .append(" the same schedule. Planned times; the timeline above shows when each fault really ended")
                .append(" (a restarted node counts from when it was ready).</p>\n<table><tr><th>start</th><th>end")
                .append("</th><th>kind</th><th>fault</th></tr>\n");
        for (FaultSchedule.Episode e : r.schedule().episodes()) {
            b.append("<tr><td>").append(formatSeconds(e.startMs())).append("</td><td>")
                    .append(formatSeconds(e.endMs())).append("</td><td>").append(e.kind().id()).append("</td><td>")
                    .append(esc(e.description())).append("</td></tr>\n");
        }
        b.append("</table>\n");
    }

    private static void intentsSection(StringBuilder b, History h) {
        List<LiveRecords.IntentRequest> intents = h.records(LiveRecords.IntentRequest.class);
        List<LiveRecords.Performed> performed = h.records(LiveRecords.Performed.class);
        Map<String, List<LiveRecords.Performed>> byIntent = new LinkedHashMap<>();
        performed.forEach(p -> byIntent.computeIfAbsent(p.intent(), k -> new ArrayList<>()).add(p));
        Map<String, String> status = outcomeByIntent(h);
        b.append("<h2>Intent requests</h2>\n<details><summary>").append(intents.size()).append(" job intents, ")
                .append(performed.size()).append(" performed lines</summary><table><tr><th>seq</th><th>asked")
                .append("</th><th>at</th><th>intent</th><th>outcome</th><th>performed by (term/index, time)</th>")
                .append("</tr>\n");
        for (LiveRecords.IntentRequest r : intents) {
            b.append("<tr><td>").append(r.seq()).append("</td><td>").append(esc(r.node())).append("</td><td>")
                    .append(formatSeconds(r.invokedMs())).append("</td><td>")
                    .append(r.id() == null ? "<i>not acknowledged: " + esc(r.error()) + "</i>"
                            : esc(r.id().substring(0, Math.min(8, r.id().length()))))
                    .append("</td><td>").append(r.id() == null ? "" : esc(String.valueOf(status.get(r.id()))))
                    .append("</td><td>");
            if (r.id() != null) {
                for (LiveRecords.Performed p : byIntent.getOrDefault(r.id(), List.of())) {
                    b.append(esc(p.node())).append(" (").append(p.term()).append('/').append(p.index()).append(") ");
                }
            }
            b.append("</td></tr>\n");
        }
        b.append("</table></details>\n");
    }
}
