package io.agentmesh.sim.live;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * The fault episodes of a live run, drawn from the seed before the run starts: the same seed, node count, relay
 * count, duration and fault kinds always give the same schedule (the processes' own timing still varies, so a live
 * run is repeatable in what is done when, not in every message).
 *
 * <p>Constraints keep the faults meaningful: at most a minority of nodes is down at once, one partition and one
 * delay episode at a time, one relay down at a time.
 */
public final class FaultSchedule {

    /** A link between two node indexes, {@code a < b}. */
    public record Link(int a, int b) {
        public Link {
            if (a == b) {
                throw new IllegalArgumentException("a link joins two different nodes");
            }
            if (a > b) {
                int t = a;
                a = b;
                b = t;
            }
        }

        public boolean touches(int n) {
            return a == n || b == n;
        }
    }

    /**
     * One fault from {@code startMs} until {@code endMs} (run time).
     *
     * @param cuts      links cut (PARTITION) or delayed (DELAY)
     * @param direct    PARTITION only: only the direct path is cut (relays still carry traffic)
     * @param node      CRASH: the node killed
     * @param graceful  CRASH: SIGTERM instead of kill -9
     * @param relay     RELAY: the relay killed
     * @param delayMs   DELAY: extra latency each way
     */
    public record Episode(int id, long startMs, long endMs, LiveFault kind, String description, List<Link> cuts,
                          boolean direct, int node, boolean graceful, int relay, long delayMs) {
        public Episode {
            cuts = List.copyOf(cuts);
        }
    }

    /** A step of the schedule: start ({@code heal} false) or end of an episode. */
    public record Step(long atMs, Episode episode, boolean heal) {
        public String describe() {
            return (heal ? "heal  " : "fault ") + episode.description();
        }
    }

    private final List<Episode> episodes;

    private FaultSchedule(List<Episode> episodes) {
        this.episodes = List.copyOf(episodes);
    }

    public List<Episode> episodes() {
        return episodes;
    }

    /** Every start and end, in time order (at equal times, ends first). */
    public List<Step> steps() {
        List<Step> out = new ArrayList<>();
        for (Episode e : episodes) {
            out.add(new Step(e.startMs(), e, false));
            out.add(new Step(e.endMs(), e, true));
        }
        out.sort(Comparator.comparingLong(Step::atMs).thenComparing(s -> !s.heal())
                .thenComparingInt(s -> s.episode().id()));
        return out;
    }

    /** Draws the schedule. {@code names} are the nodes' display names (n1, n2...). */
    public static FaultSchedule draw(long seed, int nodes, int relays, long durationMs, Set<LiveFault> kinds) {
        SplittableRandom rnd = new SplittableRandom(seed ^ 0x5DEECE66DL);
        List<Episode> out = new ArrayList<>();
        int maxDown = (nodes - 1) / 2;
        List<long[]> crashes = new ArrayList<>(); // {node, start, end}
        long partitionFree = 0;
        long delayFree = 0;
        long relayFree = 0;
        long t = 1_000 + rnd.nextLong(2_000);
        int id = 0;
        while (t < durationMs - 1_000) {
            List<LiveFault> options = new ArrayList<>();
            for (LiveFault k : LiveFault.values()) {
                if (!kinds.contains(k)) {
                    continue;
                }
                boolean possible = switch (k) {
                    case PARTITION -> nodes >= 2 && t >= partitionFree;
                    case DELAY -> nodes >= 2 && t >= delayFree;
                    case RELAY -> relays >= 1 && t >= relayFree;
                    case CRASH -> maxDown >= 1 && downAt(crashes, t) < maxDown;
                };
                if (possible) {
                    options.add(k);
                }
            }
            if (!options.isEmpty()) {
                LiveFault k = options.get(rnd.nextInt(options.size()));
                Episode e = switch (k) {
                    case PARTITION -> {
                        long end = Math.min(durationMs, t + 2_000 + rnd.nextLong(6_000));
                        partitionFree = end;
                        yield partition(id, t, end, nodes, relays > 0 && rnd.nextInt(4) == 0, rnd);
                    }
                    case DELAY -> {
                        long end = Math.min(durationMs, t + 2_000 + rnd.nextLong(4_000));
                        delayFree = end;
                        Link l = randomLink(nodes, rnd);
                        long d = 20 + rnd.nextLong(131);
                        yield new Episode(id, t, end, k, "delay " + d + " ms each way on " + name(l.a()) + "-"
                                + name(l.b()), List.of(l), false, -1, false, -1, d);
                    }
                    case RELAY -> {
                        long end = Math.min(durationMs, t + 2_000 + rnd.nextLong(4_000));
                        relayFree = end;
                        int r = rnd.nextInt(relays);
                        yield new Episode(id, t, end, k, "kill -9 relay r" + (r + 1), List.of(), false, -1, false, r,
                                0);
                    }
                    case CRASH -> {
                        long end = Math.min(durationMs, t + 1_000 + rnd.nextLong(4_000));
                        List<Integer> candidates = new ArrayList<>();
                        for (int n = 0; n < nodes; n++) {
                            if (!downDuring(crashes, n, t, end)) {
                                candidates.add(n);
                            }
                        }
                        int n = candidates.get(rnd.nextInt(candidates.size()));
                        boolean graceful = rnd.nextInt(5) == 0;
                        crashes.add(new long[]{n, t, end});
                        yield new Episode(id, t, end, k, (graceful ? "SIGTERM " : "kill -9 ") + name(n)
                                + ", restart after " + (end - t) + " ms", List.of(), false, n, graceful, -1, 0);
                    }
                };
                out.add(e);
                id++;
            }
            t += 1_000 + rnd.nextLong(2_500);
        }
        return new FaultSchedule(out);
    }

    private static Episode partition(int id, long start, long end, int nodes, boolean direct, SplittableRandom rnd) {
        List<Integer> all = new ArrayList<>();
        for (int i = 0; i < nodes; i++) {
            all.add(i);
        }
        shuffle(all, rnd);
        List<String> shapes = new ArrayList<>(List.of("isolate", "link"));
        if (nodes >= 4) {
            shapes.add("split");
        }
        if (nodes >= 3) {
            shapes.add("bridge");
        }
        String shape = shapes.get(rnd.nextInt(shapes.size()));
        List<Link> cuts = new ArrayList<>();
        String what;
        switch (shape) {
            case "isolate" -> {
                int n = all.getFirst();
                for (int j = 0; j < nodes; j++) {
                    if (j != n) {
                        cuts.add(new Link(n, j));
                    }
                }
                what = "isolate " + name(n);
            }
            case "link" -> {
                cuts.add(new Link(all.get(0), all.get(1)));
                what = "cut " + name(all.get(0)) + "-" + name(all.get(1));
            }
            case "split" -> {
                int size = 1 + rnd.nextInt(nodes / 2);
                List<Integer> a = all.subList(0, size);
                List<Integer> b = all.subList(size, nodes);
                for (int x : a) {
                    for (int y : b) {
                        cuts.add(new Link(x, y));
                    }
                }
                what = "split " + names(a) + " | " + names(b);
            }
            default -> { // bridge: all.get(0) reaches both sides, the sides do not reach each other
                int bridge = all.getFirst();
                List<Integer> rest = all.subList(1, nodes);
                int size = 1 + rnd.nextInt(rest.size() - 1);
                List<Integer> a = rest.subList(0, size);
                List<Integer> b = rest.subList(size, rest.size());
                for (int x : a) {
                    for (int y : b) {
                        cuts.add(new Link(x, y));
                    }
                }
                what = "bridge " + names(a) + " | " + names(b) + " through " + name(bridge);
            }
        }
        return new Episode(id, start, end, LiveFault.PARTITION, (direct ? "direct path only: " : "") + what, cuts,
                direct, -1, false, -1, 0);
    }

    private static Link randomLink(int nodes, SplittableRandom rnd) {
        int a = rnd.nextInt(nodes);
        int b = rnd.nextInt(nodes - 1);
        return new Link(a, b >= a ? b + 1 : b);
    }

    private static int downAt(List<long[]> crashes, long t) {
        int n = 0;
        for (long[] c : crashes) {
            // a restarting node needs a few seconds before it serves: keep a margin
            if (c[1] <= t && t < c[2] + 5_000) {
                n++;
            }
        }
        return n;
    }

    private static boolean downDuring(List<long[]> crashes, int node, long from, long to) {
        for (long[] c : crashes) {
            if (c[0] == node && c[1] < to + 5_000 && from < c[2] + 5_000) {
                return true;
            }
        }
        return false;
    }

    private static void shuffle(List<Integer> list, SplittableRandom rnd) {
        Collections.shuffle(list, new Random(rnd.nextLong()));
    }

    static String name(int node) {
        return "n" + (node + 1);
    }

    private static String names(List<Integer> nodes) {
        return String.join(",", nodes.stream().sorted().map(FaultSchedule::name).toList());
    }
}
