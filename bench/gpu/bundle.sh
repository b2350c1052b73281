#!/usr/bin/env bash
# Packs what the GPU checks need to run on a machine that has an NVIDIA GPU but no JDK or Maven:
# a jlinked JDK 25 (xz), the CLI's shaded jar, the test jars, the JUnit console launcher and the
# JMH benchmarks, with bench/gpu/run.sh beside them. Usage: bench/gpu/bundle.sh OUT (a new folder);
# then on the GPU machine: bash OUT/run.sh [steps]. Builds the project first (mvn package).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
out=${1:?usage: bench/gpu/bundle.sh OUT}
[ -e "$out" ] && { echo "bundle: $out exists; name a new folder" >&2; exit 2; }
export JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
cd "$root"
mvn -B -q -DskipTests package dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=target/cp.txt \
  -pl java/cuda,java/cli,bench -am
junit=$(sed -n 's:.*<junit.version>5\.\([0-9.]*\)</junit.version>.*:1.\1:p' pom.xml)
mvn -B -q dependency:copy -Dartifact=org.junit.platform:junit-platform-console-standalone:"$junit" -DoutputDirectory="$out/lib"
mkdir -p "$out/lib"
cp java/cli/target/exmerge-cli-*-all.jar "$out/lib/cli-all.jar"
cp java/core/target/exmerge-core-*-tests.jar "$out/lib/core-tests.jar"
cp bench/target/benchmarks.jar "$out/lib/benchmarks.jar"
"$JAVA_HOME/bin/jar" cf "$out/lib/cuda-tests.jar" -C java/cuda/target/test-classes .
tr ':' '\n' <java/cuda/target/cp.txt | grep -E '/assertj-core-[^/]*\.jar$' | xargs -I{} cp {} "$out/lib/assertj-core.jar"
mv "$out/lib/junit-platform-console-standalone-$junit.jar" "$out/lib/junit-console.jar"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
"$JAVA_HOME/bin/jlink" --add-modules java.base,java.logging,java.management,jdk.management,java.xml,jdk.unsupported,java.naming,jdk.zipfs,java.sql,java.instrument,java.scripting,jdk.jfr,java.desktop \
  --strip-debug --no-header-files --no-man-pages --output "$tmp/jdk"
tar -C "$tmp" -cJf "$out/jdk.tar.xz" jdk
cp bench/gpu/run.sh "$out/run.sh"
du -sh "$out"
