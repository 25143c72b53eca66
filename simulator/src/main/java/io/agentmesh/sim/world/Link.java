package io.agentmesh.sim.world;

import java.util.Set;
import java.util.TreeSet;

/** One direction of the path between two simulated nodes (by index). */
public record Link(int from, int to) implements Comparable<Link> {
    public Link {
        if (from < 0 || to < 0 || from == to) {
            throw new IllegalArgumentException("a link joins two different nodes, got " + from + " -> " + to);
        }
    }

    @Override
    public int compareTo(Link o) {
        int c = Integer.compare(from, o.from);
        return c != 0 ? c : Integer.compare(to, o.to);
    }

    /** Both directions between every node of {@code a} and every node of {@code b}. */
    public static Set<Link> between(Set<Integer> a, Set<Integer> b) {
        Set<Link> out = new TreeSet<>();
        for (int x : a) {
            for (int y : b) {
                if (x != y) {
                    out.add(new Link(x, y));
                    out.add(new Link(y, x));
                }
            }
        }
        return out;
    }

    /** One direction only: from every node of {@code a} to every node of {@code b}. */
    public static Set<Link> oneWay(Set<Integer> a, Set<Integer> b) {
        Set<Link> out = new TreeSet<>();
        for (int x : a) {
            for (int y : b) {
                if (x != y) {
                    out.add(new Link(x, y));
                }
            }
        }
        return out;
    }

    @Override
    public String toString() {
        return "n" + (from + 1) + "->n" + (to + 1);
    }
}
