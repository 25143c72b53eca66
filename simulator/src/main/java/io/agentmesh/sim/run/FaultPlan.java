package io.agentmesh.sim.run;

import io.agentmesh.sim.world.Impairment;
import io.agentmesh.sim.world.Link;
import io.agentmesh.sim.world.Rng;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeSet;
import java.util.random.RandomGenerator;

/**
 * The faults of a run, fixed before it starts: drawn from the seed ({@link #draw}) or written by hand for a test.
 * Each kind draws from its own random stream, so turning one kind on or off leaves the others' schedule unchanged.
 *
 * @param skews clock offset and drift per node, from the start
 * @param steps fault episodes in time order
 */
public record FaultPlan(List<Skew> skews, List<Step> steps) {
    public FaultPlan {
        skews = List.copyOf(skews);
        List<Step> sorted = new ArrayList<>(steps);
        sorted.sort(Comparator.comparingLong(Step::atMs));
        steps = List.copyOf(sorted);
    }

    public sealed interface Step permits Partition, Crash, Impair, ClockJump, Stall {
        long atMs();

        FaultKind kind();

        String describe();
    }

    /** Cuts {@code links} (directed) from {@code atMs} for {@code durationMs}. */
    public record Partition(long atMs, long durationMs, String shape, Set<Link> links) implements Step {
        public Partition {
            links = Set.copyOf(new TreeSet<>(links));
        }

        @Override
        public FaultKind kind() {
            return FaultKind.PARTITION;
        }

        @Override
        public String describe() {
            return shape + " for " + durationMs + " ms";
        }
    }

    /** Kills node {@code node}'s process at {@code atMs}; it restarts {@code downMs} later. */
    public record Crash(long atMs, int node, long downMs) implements Step {
        @Override
        public FaultKind kind() {
            return FaultKind.CRASH;
        }

        @Override
        public String describe() {
            return "crash n" + (node + 1) + " for " + downMs + " ms";
        }
    }

    public record Impair(long atMs, long durationMs, FaultKind kind, Impairment impairment) implements Step {
        @Override
        public String describe() {
            Impairment i = impairment;
            StringBuilder b = new StringBuilder(i.name());
            if (i.loss() > 0) {
                b.append(String.format(java.util.Locale.ROOT, " loss %.0f%%", i.loss() * 100));
            }
            if (i.duplicate() > 0) {
                b.append(String.format(java.util.Locale.ROOT, " dup %.0f%%", i.duplicate() * 100));
            }
            if (i.reorder()) {
                b.append(" reorder");
            }
            if (i.extraDelayMicros() > 0) {
                b.append(" +").append(i.extraDelayMicros() / 1000).append(" ms");
            }
            return b.append(" for ").append(durationMs).append(" ms").toString();
        }
    }

    /** Steps node {@code node}'s wall clock by {@code deltaMs}. */
    public record ClockJump(long atMs, int node, long deltaMs) implements Step {
        @Override
        public FaultKind kind() {
            return FaultKind.SKEW;
        }

        @Override
        public String describe() {
            return "clock of n" + (node + 1) + " steps " + (deltaMs >= 0 ? "+" : "") + deltaMs + " ms";
        }
    }

    /** Node {@code node}'s disk stalls from {@code atMs} for {@code durationMs}: no fsync completes before its end. */
    public record Stall(long atMs, int node, long durationMs) implements Step {
        public Stall {
            if (durationMs < 1) {
                throw new IllegalArgumentException("a disk stall lasts at least 1 ms, got " + durationMs);
            }
        }

        @Override
        public FaultKind kind() {
            return FaultKind.STALL;
        }

        @Override
        public String describe() {
            return "disk of n" + (node + 1) + " stalls for " + durationMs + " ms";
        }
    }

    public record Skew(int node, long offsetMs, long driftPpm) {
    }

    public static FaultPlan none() {
        return new FaultPlan(List.of(), List.of());
    }

    /** Draws the faults of kinds {@code kinds} for a run of {@code durationMs} on {@code nodes} nodes. */
    public static FaultPlan draw(long seed, int nodes, long durationMs, Set<FaultKind> kinds) {
        long warmup = Math.min(1_000, durationMs / 10);
        List<Step> steps = new ArrayList<>();
        List<Skew> skews = new ArrayList<>();
        if (kinds.contains(FaultKind.PARTITION) && nodes >= 2) {
            SplittableRandom r = Rng.stream(seed, "faults/partition");
            for (long t = warmup + gap(r, 5_000); t < durationMs; t += gap(r, 5_000)) {
                steps.add(partition(r, t, nodes));
            }
        }
        if (kinds.contains(FaultKind.CRASH) && nodes >= 2) {
            SplittableRandom r = Rng.stream(seed, "faults/crash");
            long[] downUntil = new long[nodes];
            for (long t = warmup + gap(r, 7_000); t < durationMs; t += gap(r, 7_000)) {
                List<Integer> upNow = new ArrayList<>();
                for (int i = 0; i < nodes; i++) {
                    if (downUntil[i] <= t) {
                        upNow.add(i);
                    }
                }
                long down = logUniform(r, 200, 6_000);
                if (upNow.size() < 2) {
                    continue; // keep at least one node up
                }
                int node = upNow.get(r.nextInt(upNow.size()));
                downUntil[node] = t + down;
                steps.add(new Crash(t, node, down));
            }
        }
        if (kinds.contains(FaultKind.LOSS) && nodes >= 2) {
            SplittableRandom r = Rng.stream(seed, "faults/loss");
            for (long t = warmup + gap(r, 8_000); t < durationMs; t += gap(r, 8_000)) {
                long duration = logUniform(r, 1_000, 8_000);
                double loss = 0.02 + r.nextDouble() * 0.28;
                Scope scope = scope(r, nodes);
                steps.add(new Impair(t, duration, FaultKind.LOSS,
                        new Impairment("lossy " + scope.name(), loss, 0, false, 0, scope.links())));
            }
        }
        if (kinds.contains(FaultKind.DATAGRAM) && nodes >= 2) {
            SplittableRandom r = Rng.stream(seed, "faults/datagram");
            for (long t = warmup + gap(r, 8_000); t < durationMs; t += gap(r, 8_000)) {
                long duration = logUniform(r, 1_000, 8_000);
                double loss = 0.01 + r.nextDouble() * 0.2;
                double dup = r.nextDouble() * 0.1;
                long jitterMs = logUniform(r, 1, 50);
                Scope scope = scope(r, nodes);
                steps.add(new Impair(t, duration, FaultKind.DATAGRAM, new Impairment("datagram chaos on "
                        + scope.name(), loss, dup, true, jitterMs * 1_000, scope.links(), true)));
            }
        }
        if (kinds.contains(FaultKind.DELAY) && nodes >= 2) {
            SplittableRandom r = Rng.stream(seed, "faults/delay");
            for (long t = warmup + gap(r, 8_000); t < durationMs; t += gap(r, 8_000)) {
                long duration = logUniform(r, 1_000, 8_000);
                long extraMs = logUniform(r, 10, 400);
                Scope scope = scope(r, nodes);
                steps.add(new Impair(t, duration, FaultKind.DELAY,
                        new Impairment("slow " + scope.name(), 0, 0, false, extraMs * 1_000, scope.links())));
            }
        }
        if (kinds.contains(FaultKind.STALL)) {
            SplittableRandom r = Rng.stream(seed, "faults/stall");
            for (long t = warmup + gap(r, 10_000); t < durationMs; t += gap(r, 10_000)) {
                steps.add(new Stall(t, r.nextInt(nodes), logUniform(r, 10, 2_000)));
            }
        }
        if (kinds.contains(FaultKind.SKEW)) {
            SplittableRandom r = Rng.stream(seed, "faults/skew");
            for (int i = 0; i < nodes; i++) {
                skews.add(new Skew(i, r.nextLong(-5_000, 5_001), r.nextLong(-200, 201)));
            }
            for (long t = warmup + gap(r, 10_000); t < durationMs; t += gap(r, 10_000)) {
                long delta = logUniform(r, 100, 3_000) * (r.nextBoolean() ? 1 : -1);
                steps.add(new ClockJump(t, r.nextInt(nodes), delta));
            }
        }
        return new FaultPlan(skews, steps);
    }

    private record Scope(String name, Set<Link> links) {
    }

    /** All links (empty set), or every link touching one node. */
    private static Scope scope(RandomGenerator r, int nodes) {
        if (r.nextBoolean()) {
            return new Scope("all links", Set.of());
        }
        int node = r.nextInt(nodes);
        Set<Integer> self = Set.of(node);
        Set<Integer> others = new TreeSet<>();
        for (int i = 0; i < nodes; i++) {
            if (i != node) {
                others.add(i);
            }
        }
        return new Scope("links of n" + (node + 1), Link.between(self, others));
    }

    private static Partition partition(SplittableRandom r, long t, int n) {
        long duration = logUniform(r, 500, 8_000);
        List<Integer> order = shuffled(r, n);
        int shape = r.nextInt(6);
        if (shape == 4 && n < 3) {
            shape = 0;
        }
        switch (shape) {
            case 0 -> { // split into two sides
                int k = 1 + r.nextInt(n - 1);
                Set<Integer> a = new TreeSet<>(order.subList(0, k));
                Set<Integer> b = new TreeSet<>(order.subList(k, n));
                return new Partition(t, duration, "split " + names(a) + "|" + names(b), Link.between(a, b));
            }
            case 1 -> { // isolate one node
                Set<Integer> a = Set.of(order.getFirst());
                Set<Integer> b = new TreeSet<>(order.subList(1, n));
                return new Partition(t, duration, "isolate n" + (order.getFirst() + 1), Link.between(a, b));
            }
            case 2 -> { // one side cannot send to the other; replies still flow
                int k = 1 + r.nextInt(n - 1);
                Set<Integer> a = new TreeSet<>(order.subList(0, k));
                Set<Integer> b = new TreeSet<>(order.subList(k, n));
                return new Partition(t, duration, "one-way cut " + names(a) + "-/->" + names(b), Link.oneWay(a, b));
            }
            case 3 -> { // one link, both ways
                Set<Integer> a = Set.of(order.get(0));
                Set<Integer> b = Set.of(order.get(1));
                return new Partition(t, duration, "cut link n" + (order.get(0) + 1) + "-n" + (order.get(1) + 1),
                        Link.between(a, b));
            }
            case 4 -> { // bridge: one node talks to both sides, which cannot talk to each other
                int bridge = order.getFirst();
                List<Integer> rest = order.subList(1, n);
                int k = 1 + r.nextInt(rest.size() - 1);
                Set<Integer> a = new TreeSet<>(rest.subList(0, k));
                Set<Integer> c = new TreeSet<>(rest.subList(k, rest.size()));
                return new Partition(t, duration, "bridge n" + (bridge + 1) + " between " + names(a) + " and "
                        + names(c), Link.between(a, c));
            }
            default -> { // one link, one way
                Set<Integer> a = Set.of(order.get(0));
                Set<Integer> b = Set.of(order.get(1));
                return new Partition(t, duration, "one-way cut n" + (order.get(0) + 1) + "-/->n" + (order.get(1) + 1),
                        Link.oneWay(a, b));
            }
        }
    }

    private static List<Integer> shuffled(RandomGenerator r, int n) {
        List<Integer> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(i);
        }
        for (int i = n - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            Integer tmp = out.get(i);
            out.set(i, out.get(j));
            out.set(j, tmp);
        }
        return out;
    }

    static String names(Set<Integer> nodes) {
        StringBuilder b = new StringBuilder("{");
        for (int i : nodes) {
            b.append(b.length() == 1 ? "" : ",").append('n').append(i + 1);
        }
        return b.append('}').toString();
    }

    private static long gap(RandomGenerator r, double meanMs) {
        return 1 + (long) Rng.exponential(r, meanMs);
    }

    private static long logUniform(RandomGenerator r, long min, long max) {
        double u = r.nextDouble();
        return Math.round(min * Math.pow((double) max / min, u));
    }
}
