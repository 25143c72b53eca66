package io.agentmesh.sim.run;

import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;

/**
 * How the command line and the reports write a set of enum constants (fault kinds, planted bugs): each constant by
 * its id, the lower-case name with dashes for underscores, separated by commas, in declaration order. One reading
 * and one writing, so what a report or a rerun command prints is what the command line takes.
 */
public final class EnumIds {
    private EnumIds() {
    }

    public static String id(Enum<?> e) {
        return e.name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /**
     * Parses {@code a,b,...}, case and spaces aside; "none" or nothing is the empty set, and "all" stands for
     * {@code all} where that is given (null: "all" is not accepted).
     *
     * @param what  what one constant is called in the error, e.g. "fault"
     * @param known the accepted ids, for the error
     */
    public static <E extends Enum<E>> Set<E> parse(String text, Class<E> type, Set<E> all, String what,
                                                   String known) {
        Set<E> out = EnumSet.noneOf(type);
        if (text == null || text.isBlank() || text.trim().equalsIgnoreCase("none")) {
            return out;
        }
        for (String part : text.split(",")) {
            String p = part.trim().toUpperCase(Locale.ROOT).replace('-', '_');
            if (p.isEmpty()) {
                continue;
            }
            if (all != null && p.equals("ALL")) {
                out.addAll(all);
                continue;
            }
            try {
                out.add(Enum.valueOf(type, p));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("unknown " + what + " '" + part.trim() + "'; known: " + known);
            }
        }
        return out;
    }

    /** The ids of {@code set} in declaration order; the empty string for the empty set. */
    public static <E extends Enum<E>> String format(Set<E> set, Class<E> type) {
        StringBuilder b = new StringBuilder();
        for (E k : type.getEnumConstants()) {
            if (set.contains(k)) {
                b.append(b.isEmpty() ? "" : ",").append(id(k));
            }
        }
        return b.toString();
    }
}
