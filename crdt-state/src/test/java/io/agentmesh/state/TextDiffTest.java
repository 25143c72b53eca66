package io.agentmesh.state;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TextDiffTest {

    static String apply(String old, List<TextDiff.Splice> splices) {
        StringBuilder out = new StringBuilder();
        int pos = 0;
        for (TextDiff.Splice s : splices) {
            assertTrue(s.fromChar() >= pos, "splices ascend and do not overlap");
            out.append(old, pos, s.fromChar()).append(s.insert());
            pos = s.fromChar() + s.deleteChars();
        }
        return out.append(old.substring(pos)).toString();
    }

    /** Random text of lines drawn from a small alphabet, so that equal lines (and so real matches) are common. */
    static String randomText(Random r, int maxLines) {
        StringBuilder b = new StringBuilder();
        int lines = r.nextInt(maxLines + 1);
        for (int i = 0; i < lines; i++) {
            int len = r.nextInt(4);
            for (int j = 0; j < len; j++) {
                b.append(switch (r.nextInt(4)) {
                    case 0 -> "a";
                    case 1 -> "b";
                    case 2 -> "\u00e9";
                    default -> "\ud83d\ude00";
                });
            }
            if (i < lines - 1 || r.nextBoolean()) {
                b.append('\n');
            }
        }
        return b.toString();
    }

    @Property(tries = 500)
    void applyingTheSplicesToTheOldTextGivesTheNewText(@ForAll long seed) {
        Random r = new Random(seed);
        String a = randomText(r, 30);
        String b = randomText(r, 30);
        assertEquals(b, apply(a, TextDiff.splices(a, b)));
    }

    @Property(tries = 200)
    void everySpliceDeletesAndInsertsWholeLinesWhenBothTextsEndWithANewline(@ForAll long seed) {
        Random r = new Random(seed);
        String a = randomText(r, 30) + "\n";
        String b = randomText(r, 30) + "\n";
        for (TextDiff.Splice s : TextDiff.splices(a, b)) {
            assertTrue(s.fromChar() == 0 || a.charAt(s.fromChar() - 1) == '\n', "starts a line: " + s);
            if (s.deleteChars() > 0) {
                assertEquals('\n', a.charAt(s.fromChar() + s.deleteChars() - 1), "deletes whole lines: " + s);
            }
            if (!s.insert().isEmpty()) {
                assertTrue(s.insert().endsWith("\n"), "inserts whole lines: " + s);
            }
        }
    }

    @Property(tries = 50)
    void manyEditsFallBackToOneSpliceThatIsStillCorrect(@ForAll @IntRange(min = 1, max = 3) int seed) {
        StringBuilder a = new StringBuilder();
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < 3 * TextDiff.MAX_LINE_EDITS; i++) {
            a.append("old ").append(i).append(seed).append('\n');
            b.append("new ").append(i).append('\n');
        }
        List<TextDiff.Splice> splices = TextDiff.splices(a.toString(), b.toString());
        assertEquals(1, splices.size());
        assertEquals(b.toString(), apply(a.toString(), splices));
    }

    @Test
    void anAppendedLineIsOneInsertionAtTheEnd() {
        assertEquals(List.of(new TextDiff.Splice(4, 0, "c\n")), TextDiff.splices("a\nb\n", "a\nb\nc\n"));
    }

    @Test
    void aLastLineWithoutNewlineIsExtendedNotReplaced() {
        assertEquals(List.of(new TextDiff.Splice(3, 0, "\nc")), TextDiff.splices("a\nb", "a\nb\nc"));
    }

    @Test
    void anEditedLineIsReplacedWhole() {
        assertEquals(List.of(new TextDiff.Splice(2, 2, "bb\n")), TextDiff.splices("a\nb\nc\n", "a\nbb\nc\n"));
    }

    @Test
    void equalTextsNeedNoSplice() {
        assertTrue(TextDiff.splices("same\n", "same\n").isEmpty());
    }
}
