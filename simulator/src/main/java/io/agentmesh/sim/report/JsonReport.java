package io.agentmesh.sim.report;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.agentmesh.sim.check.History;
import io.agentmesh.sim.check.Verdict;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The machine-readable result of a run: parameters, verdicts, figures, faults, heals and final node states. */
public final class JsonReport {
    public static final int FORMAT_VERSION = 1;
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private JsonReport() {
    }

    public static Map<String, Object> toMap(RunReport r) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("format", "agentmesh-sim-result");
        out.put("version", FORMAT_VERSION);
        out.put("title", r.title());
        out.put("mode", r.mode());
        out.put("passed", r.passed());
        out.put("parameters", r.parameters());
        out.put("replay", r.replay());
        out.put("traceHash", r.traceHash());
        List<Map<String, Object>> verdicts = new ArrayList<>();
        for (Verdict v : r.verdicts()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("checker", v.checker());
            m.put("passed", v.passed());
            m.put("summary", v.summary());
            m.put("violations", v.violations());
            verdicts.add(m);
        }
        out.put("verdicts", verdicts);
        out.put("figures", r.figures());
        History h = r.history();
        out.put("nodes", h.nodes());
        out.put("finalHealMs", h.finalHealMs());
        out.put("convergedMs", h.convergedMs());
        out.put("endMs", h.endMs());
        out.put("faults", h.faults());
        out.put("heals", h.heals());
        out.put("nodeEvents", h.nodeEvents());
        out.put("problems", h.problems());
        Map<String, Object> finals = new LinkedHashMap<>();
        for (History.NodeFinal f : h.finals().values()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("up", f.up());
            m.put("heads", f.heads());
            m.put("viewDigest", f.viewDigest());
            m.put("durableChanges", f.vector().values().stream().mapToLong(Long::longValue).sum());
            m.put("vector", f.vector());
            m.put("memoryEntries", f.memoryIds().size());
            m.put("tasks", f.taskIds().size());
            m.put("pendingChanges", f.pendingChanges());
            m.put("rejectedChanges", f.rejectedChanges());
            finals.put(f.node(), m);
        }
        out.put("finals", finals);
        if (HtmlReport.hasConsensus(h)) {
            List<Map<String, Object>> terms = new ArrayList<>();
            io.agentmesh.sim.check.OneLeaderPerTermChecker.leaderSpans(h, h.endMs()).forEach((node, spans) -> {
                for (long[] s : spans) {
                    Map<String, Object> m = new LinkedHashMap<>();
                    m.put("term", s[2]);
                    m.put("leader", node);
                    m.put("fromMs", s[0]);
                    m.put("toMs", s[1]);
                    terms.add(m);
                }
            });
            terms.sort(java.util.Comparator.comparingLong(m -> (Long) m.get("fromMs")));
            out.put("leaders", terms);
            out.put("actions", h.records(io.agentmesh.sim.check.ConsensusRecords.Action.class));
            out.put("intentsFinal", h.records(io.agentmesh.sim.check.ConsensusRecords.IntentsFinal.class));
        }
        return out;
    }

    public static String toJson(RunReport r) {
        try {
            return JSON.writeValueAsString(toMap(r));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static void write(RunReport r, Path file) throws IOException {
        Files.createDirectories(file.toAbsolutePath().getParent());
        Files.writeString(file, toJson(r) + "\n");
    }
}
