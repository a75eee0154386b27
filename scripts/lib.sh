# Sourced by the scripts that start servers on loopback (demo, bench-nginx,
# count-nginx-instructions): pick ports, wait for them, start the issuer, fetch tokens, and stop
# everything started. Not a script of its own.

pids=()

# Stops every process recorded in pids; for the caller's EXIT trap.
stop_started() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
}

free_port() {
  local port
  while :; do
    port=$((20000 + RANDOM % 40000))
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || { echo "$port"; return; }
  done
}

wait_port() {
  for _ in $(seq 200); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return; sleep 0.05; done
}

# start_issuer TOLLGATE CONFIG DIR: `tollgate serve` on a free port, its output in DIR; sets
# $issuer to its base URL once it listens.
start_issuer() {
  "$1" serve --config "$2" --listen 127.0.0.1:0 >"$3/issuer.out" 2>"$3/issuer.log" &
  pids+=($!)
  for _ in $(seq 100); do grep -q listening "$3/issuer.out" 2>/dev/null && break; sleep 0.05; done
  issuer=$(sed -n 's/^listening on //p' "$3/issuer.out")
}

# client_token ID:SECRET [SCOPE]: an access token by the client-credentials grant.
client_token() {
  curl -s -u "$1" -d grant_type=client_credentials ${2:+-d "scope=$2"} "$issuer/token" |
    sed -n 's/.*"access_token":"\([^"]*\)".*/\1/p'
}

# The temp paths of an nginx running unprivileged with its prefix in DIR.
nginx_temp_paths() {
  echo "client_body_temp_path $1; proxy_temp_path $1; fastcgi_temp_path $1; uwsgi_temp_path $1; scgi_temp_path $1;"
}
