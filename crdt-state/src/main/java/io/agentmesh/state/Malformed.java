package io.agentmesh.state;

/**
 * Something in the document that does not have the expected shape, which a read skipped. Remote changes are
 * signed by enrolled nodes, but a buggy or older node can still write a string where a map belongs; reads skip
 * such values and report them here instead of failing.
 *
 * @param path   where, e.g. "memory[17]" or "tasks/t-1/status"
 * @param reason what is wrong
 */
public record Malformed(String path, String reason) {
}
