package io.agentmesh.state;

import java.util.List;

/**
 * Merges two texts that moved on from a common base: an edit made on disk that the workspace mirror had not read yet
 * and the document's text, or two texts created under one path at once. Edits to different places of the base both
 * apply; where the two touch the same place, the document's version comes first and the disk's follows (when they
 * differ): no line of either side is dropped, at worst a line edited on both sides appears in both versions.
 */
public final class TextMerge {
    private TextMerge() {
    }

    /** Three-way: what {@code base} became on disk ({@code ours}) and in the document ({@code theirs}). */
    public static String merge(String base, String ours, String theirs) {
        if (ours.equals(theirs) || base.equals(theirs)) {
            return ours;
        }
        if (base.equals(ours)) {
            return theirs;
        }
        List<TextDiff.Splice> mine = TextDiff.splices(base, ours);
        List<TextDiff.Splice> other = TextDiff.splices(base, theirs);
        StringBuilder out = new StringBuilder(Math.max(ours.length(), theirs.length()) + 64);
        int pos = 0;
        int i = 0;
        int j = 0;
        while (i < mine.size() || j < other.size()) {
            // Start a cluster at the earliest splice, then pull in every splice of either side that overlaps it.
            int lo;
            int hi;
            int i0 = i;
            int j0 = j;
            if (j >= other.size() || i < mine.size() && (mine.get(i).fromChar() < other.get(j).fromChar()
                    || mine.get(i).fromChar() == other.get(j).fromChar() && mine.get(i).deleteChars() == 0)) {
                lo = mine.get(i).fromChar();
                hi = end(mine.get(i));
                i++;
            } else {
                lo = other.get(j).fromChar();
                hi = end(other.get(j));
                j++;
            }
            boolean grew = true;
            while (grew) {
                grew = false;
                if (i < mine.size() && overlaps(mine.get(i), lo, hi)) {
                    hi = Math.max(hi, end(mine.get(i)));
                    i++;
                    grew = true;
                }
                if (j < other.size() && overlaps(other.get(j), lo, hi)) {
                    hi = Math.max(hi, end(other.get(j)));
                    j++;
                    grew = true;
                }
            }
            out.append(base, pos, lo);
            String theirsPart = apply(base, lo, hi, other.subList(j0, j));
            String oursPart = apply(base, lo, hi, mine.subList(i0, i));
            if (i0 == i) {
                out.append(theirsPart);
            } else if (j0 == j) {
                out.append(oursPart);
            } else {
                out.append(theirsPart);
                if (!oursPart.equals(theirsPart)) {
                    out.append(oursPart);
                }
            }
            pos = hi;
        }
        out.append(base, pos, base.length());
        return out.toString();
    }

    /**
     * Two-way, with no known base (a file found on disk and in the document at start): every line of either side is
     * kept, common lines once (the base is their longest common subsequence of lines).
     */
    public static String union(String disk, String document) {
        if (disk.equals(document)) {
            return disk;
        }
        StringBuilder base = new StringBuilder();
        // The lines the diff keeps are the common ones: rebuild them from the splices' complement.
        List<TextDiff.Splice> splices = TextDiff.splices(disk, document);
        int pos = 0;
        for (TextDiff.Splice s : splices) {
            base.append(disk, pos, s.fromChar());
            pos = s.fromChar() + s.deleteChars();
        }
        base.append(disk, pos, disk.length());
        return merge(base.toString(), disk, document);
    }

    private static int end(TextDiff.Splice s) {
        return s.fromChar() + s.deleteChars();
    }

    /**
     * Whether splice {@code s} (which starts at or after {@code lo}) collides with the cluster [lo, hi): their ranges
     * intersect, an insertion falls strictly inside it, or both are insertions at one point. An insertion at the start
     * of a deletion is taken first and does not collide with it.
     */
    private static boolean overlaps(TextDiff.Splice s, int lo, int hi) {
        int from = s.fromChar();
        if (from < hi && end(s) > lo) {
            return true;
        }
        return s.deleteChars() == 0 && hi == lo && from == lo;
    }

    /** The base range [lo, hi) with {@code splices} (all inside it, ascending) applied. */
    private static String apply(String base, int lo, int hi, List<TextDiff.Splice> splices) {
        StringBuilder out = new StringBuilder();
        int pos = lo;
        for (TextDiff.Splice s : splices) {
            out.append(base, pos, s.fromChar());
            out.append(s.insert());
            pos = s.fromChar() + s.deleteChars();
        }
        out.append(base, pos, hi);
        return out.toString();
    }
}
