package io.agentmesh.node.backup.run;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Where a backup run or a drill is, for the command that waits on it ({@code agentmesh backup create}, {@code
 * agentmesh drill}): the target, the phase, and how far it is in units of {@code unit} (0 total: unknown).
 */
public record RunProgress(String target, String phase, long done, long total, String unit) {
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("target", target);
        m.put("phase", phase);
        m.put("done", done);
        m.put("total", total);
        m.put("unit", unit);
        return m;
    }
}
