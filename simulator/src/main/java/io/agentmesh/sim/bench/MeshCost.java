package io.agentmesh.sim.bench;

import io.agentmesh.node.runtime.NodeRuntime;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a mesh of in-process nodes costs, read from counters every operator has: frames and bytes every node handed
 * to its connections, the JVM's CPU time (all nodes share it), and when. Two samples make a {@link Window}; a window
 * with no writes is the mesh's background (heartbeats, digests, Raft), which a window with writes subtracts to give
 * what the writes themselves cost.
 */
record MeshCost(long nanos, long frames, long bytes, long cpuNanos, long duplicates, long allocatedBytes,
                Map<String, long[]> gc) {

    static MeshCost sample(List<NodeRuntime> nodes) {
        long frames = 0;
        long bytes = 0;
        long duplicates = 0;
        for (NodeRuntime n : nodes) {
            var s = n.networkStats();
            frames += s.framesOut();
            bytes += s.bytesOut();
            duplicates += n.replicationStats().duplicates();
        }
        return new MeshCost(System.nanoTime(), frames, bytes, processCpuNanos(), duplicates, allocatedBytesNow(), gcNow());
    }

    /** Bytes every thread of this JVM has allocated so far (HotSpot), or -1. */
    static long allocatedBytesNow() {
        return ManagementFactory.getThreadMXBean() instanceof com.sun.management.ThreadMXBean t
                && t.isThreadAllocatedMemorySupported() ? t.getTotalThreadAllocatedBytes() : -1;
    }

    /** Per collector: {collections, milliseconds} so far. */
    static Map<String, long[]> gcNow() {
        Map<String, long[]> r = new LinkedHashMap<>();
        for (var bean : ManagementFactory.getGarbageCollectorMXBeans()) {
            r.put(bean.getName(), new long[]{bean.getCollectionCount(), bean.getCollectionTime()});
        }
        return r;
    }

    /** CPU time of this whole JVM (every node in it), or -1 where the platform does not say. */
    static long processCpuNanos() {
        return ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os
                ? os.getProcessCpuTime() : -1;
    }

    /** What happened between {@code start} and {@code end}. */
    record Window(MeshCost start, MeshCost end) {
        double seconds() {
            return (end.nanos - start.nanos) / 1e9;
        }

        double framesPerSecond() {
            return (end.frames - start.frames) / seconds();
        }

        double bytesPerSecond() {
            return (end.bytes - start.bytes) / seconds();
        }

        /** CPU of the whole JVM as a share of one core (1.0 = one core busy throughout). */
        double cpuCores() {
            return start.cpuNanos < 0 ? Double.NaN : (end.cpuNanos - start.cpuNanos) / (double) (end.nanos - start.nanos);
        }

        double allocatedBytesPerSecond() {
            return (end.allocatedBytes - start.allocatedBytes) / seconds();
        }

        /**
         * Per collector, the collections in this window, their total and (for a collector whose time is its pauses,
         * as G1's young and mixed ones and ZGC's "Pauses") the time they took. In one JVM a pause stops every node.
         */
        Map<String, Object> gcDelta() {
            Map<String, Object> r = new LinkedHashMap<>();
            end.gc.forEach((name, e) -> {
                long[] b = start.gc.getOrDefault(name, new long[]{0, 0});
                r.put(name, Map.of("collections", e[0] - b[0], "ms", e[1] - b[1]));
            });
            return r;
        }

        /** The background rates of this (write-free) window, for the JSON. */
        Map<String, Object> asBackground(int nodes) {
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("seconds", round(seconds()));
            r.put("framesPerSecond", Math.round(framesPerSecond()));
            r.put("bytesPerSecond", Math.round(bytesPerSecond()));
            r.put("cpuCores", round(cpuCores()));
            r.put("cpuCoresPerNode", round(cpuCores() / nodes));
            r.put("allocatedBytesPerSecond", Math.round((end.allocatedBytes - start.allocatedBytes) / seconds()));
            r.put("gc", gcDelta());
            return r;
        }

        /**
         * What each of {@code changes} writes cost in this window beyond {@code background}'s rates: frames, bytes,
         * CPU milliseconds (all nodes together), and duplicate receipts.
         */
        Map<String, Object> perChange(long changes, Window background) {
            double s = seconds();
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("framesPerChangeAll", round((end.frames - start.frames) / (double) changes));
            r.put("bytesPerChangeAll", Math.round((end.bytes - start.bytes) / (double) changes));
            r.put("framesPerChange", round(((end.frames - start.frames) - background.framesPerSecond() * s) / changes));
            r.put("bytesPerChange", Math.round(((end.bytes - start.bytes) - background.bytesPerSecond() * s) / changes));
            r.put("cpuMsPerChange", round(((end.cpuNanos - start.cpuNanos) / 1e6 - background.cpuCores() * s * 1e3)
                    / changes));
            r.put("duplicatesPerChange", round((end.duplicates - start.duplicates) / (double) changes));
            r.put("allocatedBytesPerChange", Math.round(((end.allocatedBytes - start.allocatedBytes)
                    - background.allocatedBytesPerSecond() * s) / changes));
            r.put("cpuCoresWhileWriting", round(cpuCores()));
            r.put("gcWhileWriting", gcDelta());
            return r;
        }
    }

    /** Threads, heap after a collection and resident memory of this JVM, with every node of the mesh running. */
    static Map<String, Object> footprint() {
        System.gc();
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("threads", ManagementFactory.getThreadMXBean().getThreadCount());
        r.put("heapUsedAfterGcBytes", ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed());
        r.put("rssBytes", rssBytes());
        return r;
    }

    /** VmRSS of this process from /proc (Linux), or -1. */
    private static long rssBytes() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux: unknown
        }
        return -1;
    }

    static double round(double v) {
        return Math.round(v * 100) / 100.0;
    }
}
