package io.agentmesh.sim.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The machine's load average over 1, 5 and 15 minutes, as {@code uptime} prints it, so a figure taken on the shared
 * machine says how busy it was. Read from /proc/loadavg; elsewhere only the 1-minute figure is known (the others
 * are -1), and -1 throughout where the platform reports none.
 */
record LoadAverage(double oneMinute, double fiveMinutes, double fifteenMinutes) {
    private static final Path PROC = Path.of("/proc/loadavg");

    static LoadAverage now() {
        try {
            if (Files.isReadable(PROC)) {
                String[] f = Files.readString(PROC).trim().split("\\s+");
                return new LoadAverage(Double.parseDouble(f[0]), Double.parseDouble(f[1]), Double.parseDouble(f[2]));
            }
        } catch (IOException | RuntimeException e) {
            // fall through to the 1-minute figure the JVM reports
        }
        double one = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
        return new LoadAverage(one, -1, -1);
    }

    /** [1 min, 5 min, 15 min], rounded to hundredths, for the JSON. */
    List<Double> asList() {
        List<Double> l = new ArrayList<>();
        for (double v : new double[]{oneMinute, fiveMinutes, fifteenMinutes}) {
            l.add(Math.round(v * 100) / 100.0);
        }
        return l;
    }
}
