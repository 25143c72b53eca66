package io.agentmesh.state;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns "the file is now this" into the few splices that make the old text the new one, so that concurrent edits
 * of other lines of the same text survive an Automerge merge: a line-level diff (Myers); each changed run of lines
 * becomes one splice that deletes the old lines and inserts the new ones (see {@link #region}). Writing the whole new
 * content instead would delete and re-insert every character, and a concurrent edit anywhere in the file would end
 * up beside a second copy of it. Splicing whole lines (rather than the changed characters inside a line) is what
 * keeps every line intact when one node edits a line that another deletes: each side's lines survive whole, and two
 * edits of one line keep both versions.
 *
 * <p>Cost is bounded: lines common to both ends are trimmed first, and when more than {@link #MAX_LINE_EDITS}
 * line edits separate the rest, the whole differing middle becomes one splice (still correct, just coarser: a
 * concurrent edit inside that middle is then kept next to the replacement rather than merged into it).
 */
public final class TextDiff {
    /** Line edits (inserted plus deleted lines) Myers explores before giving up on a fine diff. */
    public static final int MAX_LINE_EDITS = 1000;

    private TextDiff() {
    }

    /**
     * Replace {@code deleteChars} UTF-16 chars at {@code fromChar} of the old text with {@code insert}. Offsets never
     * split a surrogate pair.
     */
    public record Splice(int fromChar, int deleteChars, String insert) {
    }

    /** The splices, in ascending order of position in the old text and not overlapping; empty when equal. */
    public static List<Splice> splices(String oldText, String newText) {
        List<Splice> out = new ArrayList<>();
        if (oldText.equals(newText)) {
            return out;
        }
        List<String> a = lines(oldText);
        List<String> b = lines(newText);
        int prefix = 0;
        while (prefix < a.size() && prefix < b.size() && a.get(prefix).equals(b.get(prefix))) {
            prefix++;
        }
        int suffix = 0;
        while (suffix < a.size() - prefix && suffix < b.size() - prefix
                && a.get(a.size() - 1 - suffix).equals(b.get(b.size() - 1 - suffix))) {
            suffix++;
        }
        Map<String, Integer> intern = new HashMap<>();
        int[] aIds = new int[a.size() - prefix - suffix];
        for (int i = 0; i < aIds.length; i++) {
            aIds[i] = intern.computeIfAbsent(a.get(prefix + i), k -> intern.size());
        }
        int[] bIds = new int[b.size() - prefix - suffix];
        for (int i = 0; i < bIds.length; i++) {
            bIds[i] = intern.computeIfAbsent(b.get(prefix + i), k -> intern.size());
        }
        // Matched line pairs of the middle, in order; the gaps between them are the changed regions.
        List<int[]> matches = myers(aIds, bIds);
        if (matches == null) {
            matches = List.of();
        }
        int[] aOffsets = offsets(a);
        int[] bOffsets = offsets(b);
        int ai = 0;
        int bi = 0;
        for (int m = 0; m <= matches.size(); m++) {
            int aEnd = m < matches.size() ? matches.get(m)[0] : aIds.length;
            int bEnd = m < matches.size() ? matches.get(m)[1] : bIds.length;
            if (aEnd > ai || bEnd > bi) {
                region(oldText, newText, aOffsets[prefix + ai], aOffsets[prefix + aEnd], bOffsets[prefix + bi],
                        bOffsets[prefix + bEnd], out);
            }
            ai = aEnd + 1;
            bi = bEnd + 1;
        }
        return out;
    }

    /**
     * One changed region: old chars [aFrom, aTo) become new chars [bFrom, bTo). The splice deletes whole old lines
     * and inserts whole new lines, so that a concurrent edit elsewhere can never leave half a line glued to another:
     * what the two sides have in common is kept only up to a line boundary of the old text. The one exception is an
     * old region that the new one merely extends (a last line without '\n' that gets more lines after it): then the
     * old region stays and only the rest is inserted.
     */
    private static void region(String oldText, String newText, int aFrom, int aTo, int bFrom, int bTo,
                               List<Splice> out) {
        int oldLength = aTo - aFrom;
        int max = Math.min(oldLength, bTo - bFrom);
        int p = 0;
        while (p < max && oldText.charAt(aFrom + p) == newText.charAt(bFrom + p)) {
            p++;
        }
        boolean extends_ = p == oldLength && (oldLength == 0 || oldText.charAt(aTo - 1) == '\n'
                || bFrom + p == bTo || newText.charAt(bFrom + p) == '\n');
        if (!extends_) {
            // back to just after the last '\n' of the common prefix (0 when none)
            int lastNewline = p == 0 ? -1 : oldText.lastIndexOf('\n', aFrom + p - 1);
            p = lastNewline >= aFrom ? lastNewline + 1 - aFrom : 0;
        }
        int s = 0;
        while (s < max - p && oldText.charAt(aTo - 1 - s) == newText.charAt(bTo - 1 - s)) {
            s++;
        }
        // Keep only a suffix that starts an old line and ends the inserted lines: both sides have '\n' before it.
        while (s > 0 && !(aTo - s - 1 >= aFrom + p && oldText.charAt(aTo - s - 1) == '\n'
                && bTo - s - 1 >= bFrom + p && newText.charAt(bTo - s - 1) == '\n')) {
            s--;
        }
        int delete = oldLength - p - s;
        String insert = newText.substring(bFrom + p, bTo - s);
        if (delete > 0 || !insert.isEmpty()) {
            out.add(new Splice(aFrom + p, delete, insert));
        }
    }

    /** Lines, each with its '\n' (the last one may lack it); "" has no lines. */
    static List<String> lines(String text) {
        List<String> out = new ArrayList<>();
        int start = 0;
        while (start < text.length()) {
            int nl = text.indexOf('\n', start);
            int end = nl < 0 ? text.length() : nl + 1;
            out.add(text.substring(start, end));
            start = end;
        }
        return out;
    }

    /** Char offset of each line's start, plus the text's length at the end. */
    private static int[] offsets(List<String> lines) {
        int[] out = new int[lines.size() + 1];
        for (int i = 0; i < lines.size(); i++) {
            out[i + 1] = out[i] + lines.get(i).length();
        }
        return out;
    }

    /**
     * Myers' greedy shortest edit script (1986) over line ids; returns the matched (a index, b index) pairs in
     * order, or null when more than {@link #MAX_LINE_EDITS} edits would be needed. Memory: the frontier of each
     * round, d^2 ints in all.
     */
    private static List<int[]> myers(int[] a, int[] b) {
        int n = a.length;
        int m = b.length;
        if (n == 0 || m == 0) {
            return new ArrayList<>();
        }
        int cap = Math.min(n + m, MAX_LINE_EDITS);
        int off = cap + 1;
        int[] v = new int[2 * cap + 3];
        List<int[]> trace = new ArrayList<>();
        for (int d = 0; d <= cap; d++) {
            for (int k = -d; k <= d; k += 2) {
                int x;
                if (k == -d || (k != d && v[off + k - 1] < v[off + k + 1])) {
                    x = v[off + k + 1];
                } else {
                    x = v[off + k - 1] + 1;
                }
                int y = x - k;
                while (x < n && y < m && a[x] == b[y]) {
                    x++;
                    y++;
                }
                v[off + k] = x;
                if (x >= n && y >= m) {
                    int[] last = new int[2 * d + 1];
                    System.arraycopy(v, off - d, last, 0, 2 * d + 1);
                    trace.add(last);
                    return backtrack(trace, a, b, d);
                }
            }
            int[] round = new int[2 * d + 1];
            System.arraycopy(v, off - d, round, 0, 2 * d + 1);
            trace.add(round);
        }
        return null;
    }

    private static List<int[]> backtrack(List<int[]> trace, int[] a, int[] b, int dEnd) {
        List<int[]> reversed = new ArrayList<>();
        int x = a.length;
        int y = b.length;
        for (int d = dEnd; d > 0; d--) {
            int[] prev = trace.get(d - 1);
            int k = x - y;
            int prevK = k == -d || (k != d && prev[k - 1 + d - 1] < prev[k + 1 + d - 1]) ? k + 1 : k - 1;
            int prevX = prev[prevK + d - 1];
            int prevY = prevX - prevK;
            int startX = prevK == k + 1 ? prevX : prevX + 1;
            int startY = startX - k;
            while (x > startX && y > startY) {
                x--;
                y--;
                reversed.add(new int[] {x, y});
            }
            x = prevX;
            y = prevY;
        }
        while (x > 0 && y > 0) {
            x--;
            y--;
            reversed.add(new int[] {x, y});
        }
        List<int[]> out = new ArrayList<>(reversed.size());
        for (int i = reversed.size() - 1; i >= 0; i--) {
            out.add(reversed.get(i));
        }
        return out;
    }
}
