package io.agentmesh.state;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;

class TextMergeTest {

    @Test
    void editsOfDifferentLinesBothApply() {
        assertEquals("0\na\nB\nc\nD\n", TextMerge.merge("a\nb\nc\nd\n", "a\nB\nc\nD\n", "0\na\nb\nc\nd\n"));
    }

    @Test
    void twoEditsOfOneLineKeepBothVersionsTheDocumentsFirst() {
        assertEquals("a\nfrom doc\nfrom disk\nc\n", TextMerge.merge("a\nb\nc\n", "a\nfrom disk\nc\n",
                "a\nfrom doc\nc\n"));
    }

    @Test
    void withoutABaseEveryLineOfEitherSideIsKeptOnce() {
        assertEquals("common\nonly in doc\nonly on disk\n", TextMerge.union("common\nonly on disk\n",
                "common\nonly in doc\n"));
    }

    @Property(tries = 500)
    void everyLineEitherSideInsertedAndNoSideDeletedIsKept(@ForAll long seed) {
        Random r = new Random(seed);
        List<String> base = new ArrayList<>();
        for (int i = 0; i < r.nextInt(10); i++) {
            base.add("base " + i);
        }
        Set<String> inserted = new HashSet<>();
        Set<String> deleted = new HashSet<>();
        String ours = edit(base, "ours", r, inserted, deleted);
        String theirs = edit(base, "theirs", r, inserted, deleted);
        String merged = TextMerge.merge(text(base), ours, theirs);
        Set<String> lines = new HashSet<>(merged.isEmpty() ? List.of() : List.of(merged.split("\n")));
        Set<String> expected = new HashSet<>(base);
        expected.addAll(inserted);
        expected.removeAll(deleted);
        for (String l : expected) {
            assertEquals(true, lines.contains(l), "lost '" + l + "' (seed " + seed + "):\n" + merged);
        }
        for (String l : inserted) {
            if (!deleted.contains(l)) {
                assertEquals(true, lines.contains(l), l);
            }
        }
    }

    private static String edit(List<String> base, String who, Random r, Set<String> inserted, Set<String> deleted) {
        List<String> lines = new ArrayList<>(base);
        for (int e = 0; e < 1 + r.nextInt(4); e++) {
            RandomLineEdit.apply(lines, who + " " + e, r, inserted, deleted);
        }
        return text(lines);
    }

    private static String text(List<String> lines) {
        StringBuilder b = new StringBuilder();
        lines.forEach(l -> b.append(l).append('\n'));
        return b.toString();
    }
}
