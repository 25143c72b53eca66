/**
 * The one strict reader of the node-local JSON config files ({@code exec.json}, {@code llm.json}): bounded size,
 * duplicate keys and unknown keys refused, money read as exact decimals, and messages that name the file and the place.
 */
package io.agentmesh.node.configfile;
