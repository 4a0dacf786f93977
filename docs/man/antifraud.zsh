# zsh completion for antifraud, generated from its parser (antifraud completion zsh)
autoload -U +X bashcompinit && bashcompinit
_antifraud_words() {
  case "$1" in
    '') echo 'check keygen trust sign co-sign verify validate inspect diff apply sync state screen index screen-calls screen-dist pseudo import-csv export-csv export-stix import-stix export-misp import-misp export-warninglist export-xlsx import-xlsx report schema conformance demo case completion -h --help --version --json' ;;
    'check') echo '-h --help --kind --region --state --index --json --quiet' ;;
    'keygen') echo '-h --help --alg --out --force --public-out --unencrypted --format --json --quiet' ;;
    'trust') echo 'init add-member remove-member sign show -h --help' ;;
    'trust init') echo '-h --help --bundle-id --root-key --threshold --valid-days --out --force --json --quiet' ;;
    'trust add-member') echo '-h --help --agency --name --key --publish --out --force --json --quiet' ;;
    'trust remove-member') echo '-h --help --agency --out --force --json --quiet' ;;
    'trust sign') echo '-h --help --key --sig --json --quiet' ;;
    'trust show') echo '-h --help --sig --json --quiet' ;;
    'sign') echo '-h --help --key --issuer --list-id --list-type --list-version --version --expires --issued-at --allow-protected --trust --minisign --out --force --delta-from --base-version --delta-out --json --quiet' ;;
    'co-sign') echo '-h --help --key --json --quiet' ;;
    'verify') echo '-h --help --sig --trust --trust-sig --state --now --grace --max-problems --json --quiet' ;;
    'validate') echo '-h --help --allow-protected --max-problems --json --quiet' ;;
    'inspect') echo '-h --help --json --quiet' ;;
    'diff') echo '-h --help --out --force --json --quiet' ;;
    'apply') echo '-h --help --sig --trust --trust-sig --state --now --grace --no-index --json --quiet' ;;
    'sync') echo '-h --help --from --trust --trust-sig --state --now --grace --no-index --json --quiet' ;;
    'state') echo 'show -h --help' ;;
    'state show') echo '-h --help --state --check --json --quiet' ;;
    'screen') echo '-h --help --index --state --column --format --engine --region --now --out --force --out-format --json --quiet' ;;
    'index') echo 'build -h --help' ;;
    'index build') echo '-h --help --from --issuer --expires --out --force --json --quiet' ;;
    'screen-calls') echo '-h --help --calling --called --ingress --trunk --state --index --dno --presenters --format --now --ranges --out --force --json --quiet' ;;
    'screen-dist') echo '-h --help --index --column --out --force --scheduler --workers --format --region --now --json --quiet' ;;
    'pseudo') echo 'keygen convert sign check -h --help' ;;
    'pseudo keygen') echo '-h --help --domain --key-id --out --force --json --quiet' ;;
    'pseudo convert') echo '-h --help --key --out --force --allow-protected --json --quiet' ;;
    'pseudo sign') echo '-h --help --domain-key --key --issuer --list-id --list-type --list-version --version --expires --issued-at --allow-protected --trust --out --force --json --quiet' ;;
    'pseudo check') echo '-h --help --key --list --sig --trust --trust-sig --kind --region --now --json --quiet' ;;
    'import-csv') echo '-h --help --out --force --default --json --quiet' ;;
    'export-csv') echo '-h --help --out --force --mask-cards --json --quiet' ;;
    'export-stix') echo '-h --help --out --force --json --quiet' ;;
    'import-stix') echo '-h --help --out --force --default --json --quiet' ;;
    'export-misp') echo '-h --help --out --force --json --quiet' ;;
    'import-misp') echo '-h --help --out --force --default --json --quiet' ;;
    'export-warninglist') echo '-h --help --out --force --protected --json --quiet' ;;
    'export-xlsx') echo '-h --help --out --force --mask-cards --json --quiet' ;;
    'import-xlsx') echo '-h --help --out --force --default --json --quiet' ;;
    'report') echo '-h --help --state --out --force --screening --expiring-days --now --json --quiet' ;;
    'schema') echo '-h --help --json --quiet' ;;
    'conformance') echo 'run impl -h --help' ;;
    'conformance run') echo '-h --help --implementation --cases --xfail --family --list --verbose -v --json --quiet' ;;
    'conformance impl') echo '' ;;
    'demo') echo '-h --help --entries --dir --force --json --quiet' ;;
    'case') echo 'new reply receive show due export enc-keygen demo -h --help' ;;
    'case new') echo '-h --help --case-id --to --reply-to --body --key --message-id --expires --out --force --encrypt --book --me --trust --trust-sig --now --json --quiet' ;;
    'case reply') echo '-h --help --body --key --message-id --expires --out --force --encrypt --book --me --trust --trust-sig --now --json --quiet' ;;
    'case receive') echo '-h --help --decryption-key --require-encryption --state --book --me --trust --trust-sig --now --json --quiet' ;;
    'case show') echo '-h --help --book --me --now --json --quiet' ;;
    'case due') echo '-h --help --within --book --me --now --json --quiet' ;;
    'case export') echo '-h --help --out --force --book --me --now --json --quiet' ;;
    'case enc-keygen') echo '-h --help --out --force --public-out --curve --unencrypted --json --quiet' ;;
    'case demo') echo '-h --help --json --quiet' ;;
    'completion') echo '-h --help --json --quiet' ;;
  esac
}
_antifraud_values() {
  case "$1" in
    'check|--kind') echo 'auto phone bank_card bank_account iccid imei idcard' ;;
    'keygen|--alg') echo 'ed25519 es256' ;;
    'keygen|--format') echo 'scrypt pkcs8' ;;
    'screen|--format') echo 'auto csv jsonl parquet' ;;
    'screen|--engine') echo 'auto python vector' ;;
    'screen|--out-format') echo 'jsonl csv parquet' ;;
    'screen-calls|--format') echo 'auto csv jsonl' ;;
    'screen-dist|--format') echo 'auto csv jsonl parquet' ;;
    'pseudo check|--kind') echo 'auto phone bank_card bank_account payment_account iccid imei' ;;
    'schema|') echo 'entry manifest trust-bundle delta-op pseudonymised-entry case-message plan-range dno-record presenter-record reference-delta-op' ;;
    'case enc-keygen|--curve') echo 'x25519 p256' ;;
    'completion|') echo 'bash zsh' ;;
  esac
}
_antifraud() {
  local cur="${COMP_WORDS[COMP_CWORD]}" prev="${COMP_WORDS[COMP_CWORD-1]}"
  local path="" i w words
  for ((i = 1; i < COMP_CWORD; i++)); do
    w="${COMP_WORDS[i]}"
    words="$(_antifraud_words "$path")"
    if [[ "$w" != -* && " $words " == *" $w "* ]]; then path="${path:+$path }$w"; fi
  done
  words="$(_antifraud_values "$path|$prev")"
  if [[ -z "$words" && "$cur" != -* ]]; then words="$(_antifraud_values "$path|")"; fi
  if [[ -z "$words" ]]; then words="$(_antifraud_words "$path")"; fi
  COMPREPLY=($(compgen -W "$words" -- "$cur"))
}
complete -o default -F _antifraud antifraud
