/* `kyso sign IN.pdf -o OUT.pdf`: PAdES B-B signature with a PKCS#11 token. */
#include "kyso_signer.h"
#include "commands.h"
#include "kyso_appearance.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *f)
{
	fprintf(f, "%s\n",
	        _("Usage: kyso sign IN.pdf -o OUT.pdf [options]\n"
	          "       kyso sign --sample OUT.pdf\n"
	          "Signs a PDF (PAdES B-B, incremental update) with the key on a PKCS#11 token.\n"
	          "\n"
	          "  -o, --output FILE     signed PDF to write (written atomically)\n"
	          "      --in-place        allow OUT to be IN (replaced atomically)\n"
	          "      --module PATH     PKCS#11 module (default: the one \"kyso setup\" "
	          "registered)\n"
	          "      --slot ID         slot ID\n"
	          "      --token LABEL     token label\n"
	          "      --key-id HEX      key/certificate CKA_ID\n"
	          "      --cert-label L    certificate label\n"
	          "      --pin-env VAR     read the PIN from environment variable VAR\n"
	          "      --pinentry PROG   pinentry program for the PIN prompt\n"
	          "      --hash H          sha256 (default), sha384 or sha512\n"
	          "      --chain FILE      extra chain certificates (PEM/DER)\n"
	          "      --password PW     password of an encrypted PDF\n"
	          "      --password-env V  ... read from environment variable V\n"
	          "      --max-size SIZE   refuse larger inputs (default 100M; K/M/G suffixes)\n"
	          "      --field NAME      signature field name\n"
	          "      --name, --reason, --location, --contact TEXT   signature dictionary "
	          "entries\n"
	          "      --json            print one JSON document\n"
	          "Time stamp (PAdES B-T):\n"
	          "      --tsa URL         RFC 3161 time-stamp server (e.g. http://tsa.ca.gov.vn)\n"
	          "      --tsa-user USER   HTTP basic auth user name\n"
	          "      --tsa-pass-env V  ... password from environment variable V\n"
	          "      --tsa-timeout S   seconds for the whole request (default 30)\n"
	          "      --tsa-optional    when the server fails, warn and sign without a time "
	          "stamp\n"
	          "Long-term validation (PAdES B-LT):\n"
	          "      --ltv             add the chain and its CRLs/OCSP answers (/DSS) after "
	          "signing\n"
	          "      --crl FILE        a CRL to use instead of fetching it (repeatable)\n"
	          "      --lta             B-LTA: --ltv, then a document time stamp from --tsa\n"
	          "Exit codes: 0 signed, 2 usage, 3 no module/token, 4 token/PIN error,\n"
	          "5 bad input PDF, 6 time-stamp or revocation server error."));
	fprintf(f, "%s", kyso_appearance_usage());
}

static bool parse_size(const char *s, uint64_t *out)
{
	char *end = NULL;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno != 0 || end == s)
		return false;
	uint64_t mul = 1;
	if (*end == 'k' || *end == 'K')
		mul = 1024;
	else if (*end == 'm' || *end == 'M')
		mul = 1024ULL * 1024;
	else if (*end == 'g' || *end == 'G')
		mul = 1024ULL * 1024 * 1024;
	if (mul != 1)
		end++;
	if (*end == 'B' || *end == 'b')
		end++;
	if (*end != '\0' || v == 0)
		return false;
	*out = (uint64_t)v * mul;
	return true;
}

enum {
	OPT_MODULE = 256,
	OPT_SLOT,
	OPT_TOKEN,
	OPT_KEY_ID,
	OPT_CERT_LABEL,
	OPT_PIN_ENV,
	OPT_PINENTRY,
	OPT_HASH,
	OPT_CHAIN,
	OPT_PASSWORD,
	OPT_PASSWORD_ENV,
	OPT_MAX_SIZE,
	OPT_IN_PLACE,
	OPT_FIELD,
	OPT_NAME,
	OPT_REASON,
	OPT_LOCATION,
	OPT_CONTACT,
	OPT_JSON,
	OPT_SAMPLE,
	OPT_TSA,
	OPT_TSA_USER,
	OPT_TSA_PASS_ENV,
	OPT_TSA_TIMEOUT,
	OPT_TSA_OPTIONAL,
	OPT_LTV,
	OPT_LTA,
	OPT_CRL,
};

#define MAX_CRL_FILES 16

#define USAGE_ERROR(json, ...)                                                                     \
	do {                                                                                       \
		char m_[512];                                                                      \
		snprintf(m_, sizeof(m_), __VA_ARGS__);                                             \
		return usage_error(json, m_);                                                      \
	} while (0)

static const struct option long_opts[] = {
        {"output", required_argument, NULL, 'o'},
        {"module", required_argument, NULL, OPT_MODULE},
        {"slot", required_argument, NULL, OPT_SLOT},
        {"token", required_argument, NULL, OPT_TOKEN},
        {"key-id", required_argument, NULL, OPT_KEY_ID},
        {"id", required_argument, NULL, OPT_KEY_ID},
        {"cert-label", required_argument, NULL, OPT_CERT_LABEL},
        {"label", required_argument, NULL, OPT_CERT_LABEL},
        {"pin-env", required_argument, NULL, OPT_PIN_ENV},
        {"pinentry", required_argument, NULL, OPT_PINENTRY},
        {"hash", required_argument, NULL, OPT_HASH},
        {"chain", required_argument, NULL, OPT_CHAIN},
        {"password", required_argument, NULL, OPT_PASSWORD},
        {"password-env", required_argument, NULL, OPT_PASSWORD_ENV},
        {"max-size", required_argument, NULL, OPT_MAX_SIZE},
        {"in-place", no_argument, NULL, OPT_IN_PLACE},
        {"field", required_argument, NULL, OPT_FIELD},
        {"name", required_argument, NULL, OPT_NAME},
        {"reason", required_argument, NULL, OPT_REASON},
        {"location", required_argument, NULL, OPT_LOCATION},
        {"contact", required_argument, NULL, OPT_CONTACT},
        {"json", no_argument, NULL, OPT_JSON},
        {"sample", required_argument, NULL, OPT_SAMPLE},
        {"tsa", required_argument, NULL, OPT_TSA},
        {"tsa-user", required_argument, NULL, OPT_TSA_USER},
        {"tsa-pass-env", required_argument, NULL, OPT_TSA_PASS_ENV},
        {"tsa-timeout", required_argument, NULL, OPT_TSA_TIMEOUT},
        {"tsa-optional", no_argument, NULL, OPT_TSA_OPTIONAL},
        {"ltv", no_argument, NULL, OPT_LTV},
        {"lta", no_argument, NULL, OPT_LTA},
        {"crl", required_argument, NULL, OPT_CRL},
        KYSO_APPEARANCE_LONG_OPTS,
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
};

static int usage_error(bool json, const char *msg)
{
	kyso_error_t e;
	kyso_error_clear(&e);
	kyso_error_set(&e, KYSO_ERR_USAGE, "%s", msg);
	if (!json)
		usage(stderr);
	return kyso_cmd_fail(json, &e);
}

static int print_result(bool json, const char *in, const char *out, const kyso_sign_opts_t *o,
                        const kyso_sign_result_t *r)
{
	if (!json) {
		printf(_("Signed %s -> %s\n  signer: %s\n  CMS: %zu bytes (/Contents %zu), %s\n"),
		       in, out, r->signer_subject, r->cms_len, r->contents_size,
		       kyso_digest_name(o->digest));
		return KYSO_EXIT_OK;
	}
	json_t *doc = json_pack("{s:b, s:s, s:s, s:s, s:s, s:I, s:I, s:I}", "signed", 1, "input",
	                        in, "output", out, "signer", r->signer_subject, "hash",
	                        kyso_digest_name(o->digest), "cms_bytes", (json_int_t)r->cms_len,
	                        "contents_bytes", (json_int_t)r->contents_size, "output_bytes",
	                        (json_int_t)r->out_size);
	if (doc == NULL || kyso_json_print(doc) != KYSO_OK)
		return KYSO_EXIT_PROBLEM;
	return KYSO_EXIT_OK;
}

static int sample(bool json, const char *path)
{
	kyso_error_t e;
	kyso_error_clear(&e);
	if (kyso_sample_pdf_write(path, &e) != KYSO_OK)
		return kyso_cmd_fail(json, &e);
	if (json) {
		json_t *doc = json_pack("{s:b, s:s}", "written", 1, "output", path);
		return doc != NULL && kyso_json_print(doc) == KYSO_OK ? KYSO_EXIT_OK
		                                                      : KYSO_EXIT_PROBLEM;
	}
	printf(_("Sample document written to %s\n"), path);
	return KYSO_EXIT_OK;
}

int kyso_cmd_sign(int argc, char **argv)
{
	kyso_sign_opts_t o;
	kyso_sign_opts_init(&o);
	kyso_appearance_opts_t ap;
	kyso_appearance_opts_init(&ap);
	kyso_error_t e;
	kyso_error_clear(&e);
	const char *out = NULL, *sample_out = NULL;
	const char *crls[MAX_CRL_FILES + 1] = {NULL};
	size_t ncrl = 0;
	bool json = false, lta = false;
	int c;
	optind = 1;
	opterr = 0;
	/* --json first, so usage errors come out as JSON */
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--json") == 0)
			json = true;
	while ((c = getopt_long(argc, argv, ":o:h", long_opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			out = optarg;
			break;
		case OPT_MODULE:
			o.token.module = optarg;
			break;
		case OPT_SLOT:
			o.token.slot = optarg;
			break;
		case OPT_TOKEN:
			o.token.token = optarg;
			break;
		case OPT_KEY_ID:
			o.token.key_id = optarg;
			break;
		case OPT_CERT_LABEL:
			o.token.cert_label = optarg;
			break;
		case OPT_PIN_ENV:
			o.pin_env = optarg;
			break;
		case OPT_PINENTRY:
			o.pinentry = optarg;
			break;
		case OPT_HASH:
			if (!kyso_digest_parse(optarg, &o.digest))
				USAGE_ERROR(json,
				            _("--hash takes sha256, sha384 or sha512, not \"%s\"."),
				            optarg);
			break;
		case OPT_CHAIN:
			o.chain_file = optarg;
			break;
		case OPT_PASSWORD:
			o.password = optarg;
			kyso_redact_secret(optarg);
			break;
		case OPT_PASSWORD_ENV:
			o.password = getenv(optarg);
			if (o.password == NULL)
				USAGE_ERROR(json, _("--password-env: %s is not set."), optarg);
			kyso_redact_secret(o.password);
			break;
		case OPT_MAX_SIZE:
			if (!parse_size(optarg, &o.max_size))
				USAGE_ERROR(json,
				            _("--max-size takes a size such as 50M, not \"%s\"."),
				            optarg);
			break;
		case OPT_IN_PLACE:
			o.in_place = true;
			break;
		case OPT_FIELD:
			o.field_name = optarg;
			break;
		case OPT_NAME:
			o.name = optarg;
			break;
		case OPT_REASON:
			o.reason = optarg;
			break;
		case OPT_LOCATION:
			o.location = optarg;
			break;
		case OPT_CONTACT:
			o.contact_info = optarg;
			break;
		case OPT_JSON:
			json = true;
			break;
		case OPT_SAMPLE:
			sample_out = optarg;
			break;
		case OPT_TSA:
			if (strncmp(optarg, "http://", 7) != 0 &&
			    strncmp(optarg, "https://", 8) != 0)
				USAGE_ERROR(
				        json,
				        _("--tsa takes an http:// or https:// URL, not \"%s\"."),
				        optarg);
			o.tsa_url = optarg;
			break;
		case OPT_TSA_USER:
			o.tsa_user = optarg;
			break;
		case OPT_TSA_PASS_ENV:
			o.tsa_pass = getenv(optarg);
			if (o.tsa_pass == NULL)
				USAGE_ERROR(json, _("--tsa-pass-env: %s is not set."), optarg);
			kyso_redact_secret(o.tsa_pass);
			break;
		case OPT_TSA_TIMEOUT: {
			char *end = NULL;
			long t = strtol(optarg, &end, 10);
			if (end == optarg || *end != '\0' || t <= 0 || t > 600)
				USAGE_ERROR(json,
				            _("--tsa-timeout takes seconds (1-600), not \"%s\"."),
				            optarg);
			o.tsa_timeout = t;
			break;
		}
		case OPT_TSA_OPTIONAL:
			o.tsa_optional = true;
			break;
		case OPT_LTV:
			o.ltv = true;
			break;
		case OPT_LTA:
			o.ltv = lta = true;
			break;
		case OPT_CRL:
			if (ncrl >= MAX_CRL_FILES)
				USAGE_ERROR(json, _("At most %d --crl files."), MAX_CRL_FILES);
			crls[ncrl++] = optarg;
			o.crl_files = crls;
			break;
		case KYSO_APOPT_PAGE ... KYSO_APOPT_INVISIBLE:
			if (kyso_appearance_parse_opt(c, optarg, &ap, &e) != KYSO_OK)
				USAGE_ERROR(json, "%s", e.msg);
			break;
		case 'h':
			usage(stdout);
			return KYSO_EXIT_OK;
		case ':':
			USAGE_ERROR(json, _("Option %s needs a value."), argv[optind - 1]);
		default:
			USAGE_ERROR(json, _("Unknown option %s."), argv[optind - 1]);
		}
	}
	if (sample_out != NULL)
		return sample(json, sample_out);
	if (optind + 1 != argc)
		USAGE_ERROR(json, "%s", _("Give exactly one input PDF."));
	if (out == NULL)
		USAGE_ERROR(json, "%s", _("Give the output file with -o OUT.pdf."));
	if (o.tsa_url == NULL && (o.tsa_user != NULL || o.tsa_pass != NULL || o.tsa_optional))
		USAGE_ERROR(json, "%s",
		            _("--tsa-user, --tsa-pass-env and --tsa-optional need --tsa URL."));
	if (ncrl > 0 && !o.ltv)
		USAGE_ERROR(json, "%s", _("--crl belongs to --ltv."));
	if (kyso_appearance_finish(&ap, &e) != KYSO_OK)
		USAGE_ERROR(json, "%s", e.msg);
	o.appearance = &ap;
	/* several signing certificates: an interactive run shows the chooser,
	 * a scripted one (--pin-env) gets the error naming them */
	o.token.choose = o.pin_env == NULL;
	const char *in = argv[optind];

	kyso_sign_result_t r;
	if (lta && o.tsa_url == NULL)
		USAGE_ERROR(json, "%s", _("--lta needs --tsa URL (the document time stamp)."));
	if (kyso_sign_pdf(&o, in, out, &r, &e) != KYSO_OK)
		return kyso_cmd_fail(json, &e);
	kyso_timestamp_opts_t to = {o.tsa_url, o.tsa_user, o.tsa_pass, o.tsa_timeout, o.password};
	if (lta && kyso_pdf_timestamp(out, out, &to, &e) != KYSO_OK)
		return kyso_cmd_fail(json, &e);
	return print_result(json, in, out, &o, &r);
}
