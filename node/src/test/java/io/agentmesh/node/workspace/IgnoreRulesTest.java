package io.agentmesh.node.workspace;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class IgnoreRulesTest {

    @Test
    void theDefaultsLeaveOutVersionControlEditorTempFilesAndTheMirrorsOwn() {
        IgnoreRules r = IgnoreRules.defaults();
        assertTrue(r.ignores(".git/HEAD", false));
        assertTrue(r.ignores("sub/.git/objects/ab", false), ".git/ at any depth");
        assertTrue(r.ignores(".MEMORY.md.swp", false));
        assertTrue(r.ignores("memory/notes.md~", false));
        assertTrue(r.ignores(".#MEMORY.md", false));
        assertTrue(r.ignores("memory/.x.md.agentmesh-tmp-1f2e", false));
        assertTrue(r.ignores("4913", false));
        assertFalse(r.ignores("MEMORY.md", false));
        assertFalse(r.ignores("memory/2026-12-03.md", false));
        assertFalse(r.ignores(".agentmeshignore", false), "the ignore file itself is mirrored");
        assertFalse(r.ignores("git/x", false));
    }

    @Test
    void patternsFollowGitignore() {
        IgnoreRules r = IgnoreRules.parse("""
                # comment
                *.log
                /build/
                docs/*.pdf
                **/cache/**
                !keep.log
                secret?.md
                [ab].txt
                """);
        assertTrue(r.ignores("x.log", false));
        assertTrue(r.ignores("deep/down/x.log", false), "a name pattern matches at any depth");
        assertFalse(r.ignores("keep.log", false), "re-included by a later !pattern");
        assertTrue(r.ignores("build/out/a.md", false), "everything under an ignored directory");
        assertFalse(r.ignores("sub/build/a.md", false), "a leading / anchors at the root");
        assertFalse(r.ignores("build", false), "a trailing / matches directories only");
        assertTrue(r.ignores("docs/a.pdf", false));
        assertFalse(r.ignores("docs/sub/a.pdf", false), "* stays inside one segment");
        assertTrue(r.ignores("a/b/cache/c/d.md", false));
        assertTrue(r.ignores("secret1.md", false));
        assertFalse(r.ignores("secret12.md", false));
        assertTrue(r.ignores("a.txt", false));
        assertFalse(r.ignores("c.txt", false));
        assertEquals("*.log", r.why("x.log").orElseThrow());
        assertTrue(r.why("MEMORY.md").isEmpty());
    }

    @Test
    void theIgnoreFileCanReincludeADefault() {
        IgnoreRules r = IgnoreRules.parse("!*.tmp\n");
        assertFalse(r.ignores("a.tmp", false));
        assertTrue(r.ignores("a.swp", false));
    }
}
