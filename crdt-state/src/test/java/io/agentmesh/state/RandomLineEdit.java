package io.agentmesh.state;

import java.util.List;
import java.util.Random;
import java.util.Set;

/** The random line edit the merge property tests make: insert, delete or replace one line, noting what changed. */
final class RandomLineEdit {
    private RandomLineEdit() {
    }

    /** Applies one edit to {@code lines}; {@code fresh} is the new line an insert or a replacement puts in. */
    static void apply(List<String> lines, String fresh, Random r, Set<String> inserted, Set<String> deleted) {
        int op = r.nextInt(3);
        if (op == 0 || lines.isEmpty()) {
            lines.add(r.nextInt(lines.size() + 1), fresh);
            inserted.add(fresh);
        } else if (op == 1) {
            deleted.add(lines.remove(r.nextInt(lines.size())));
        } else {
            deleted.add(lines.set(r.nextInt(lines.size()), fresh));
            inserted.add(fresh);
        }
    }
}
