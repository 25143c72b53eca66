# Sourced by bin/agentmesh and .ci/run. Sets JAVA_HOME to a JDK >= 21:
# $JAVA_HOME when it is one, else the newest JDK found in the usual install places, else exits with what to install.
agentmesh_java_feature() { # prints the feature version (17, 21, 25...) of the JDK at $1, or nothing
  [ -x "$1/bin/java" ] && [ -x "$1/bin/javac" ] || return 0
  "$1/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java\.specification\.version = \([0-9][0-9]*\).*/\1/p' | head -n1
}

agentmesh_find_jdk() {
  local required=21 v best="" best_v=0 candidate
  if [ -n "${JAVA_HOME:-}" ]; then
    v=$(agentmesh_java_feature "$JAVA_HOME")
    if [ -n "$v" ] && [ "$v" -ge "$required" ]; then return 0; fi
    echo "agentmesh: JAVA_HOME=$JAVA_HOME is not a JDK $required or newer; looking for another one" >&2
  fi
  for candidate in /usr/lib/jvm/* /usr/java/* /opt/java/* /opt/jdk* "$HOME"/.sdkman/candidates/java/* \
                   /Library/Java/JavaVirtualMachines/*/Contents/Home "$(dirname "$(dirname "$(readlink -f "$(command -v javac 2>/dev/null || echo /nonexistent)")")")"; do
    [ -d "$candidate" ] || continue
    v=$(agentmesh_java_feature "$candidate")
    if [ -n "$v" ] && [ "$v" -ge "$required" ] && [ "$v" -gt "$best_v" ]; then best="$candidate"; best_v="$v"; fi
  done
  if [ -z "$best" ]; then
    cat >&2 <<MSG
agentmesh needs a JDK $required or newer and found none (looked at JAVA_HOME and /usr/lib/jvm, /usr/java, /opt, ~/.sdkman).
Install one, for example:
  Debian/Ubuntu:  sudo apt-get install openjdk-21-jdk-headless
  any system:     Temurin 21 from https://adoptium.net
then run this command again, or point JAVA_HOME at it.
MSG
    exit 1
  fi
  export JAVA_HOME="$best"
}
agentmesh_find_jdk
export PATH="$JAVA_HOME/bin:$PATH"
