/* The signature image of a visible signature, for the --html report: the
 * first image XObject in the widget's normal appearance (nested forms
 * followed), as a data: URI — JPEG (DCTDecode) as it is, 8-bit RGB or gray
 * (FlateDecode, with its /SMask as alpha) re-encoded as PNG (libpng). */
#include "verify_int.h"

#include <openssl/evp.h>
#include <png.h>
#include <stdlib.h>
#include <string.h>

#define IMG_MAX ((size_t)16 * 1024 * 1024)

static char *data_uri(const char *mime, const uint8_t *d, size_t n)
{
	size_t cap = strlen(mime) + 14 + 4 * ((n + 2) / 3) + 1;
	char *s = malloc(cap);
	if (s == NULL)
		return NULL;
	int h = snprintf(s, cap, "data:%s;base64,", mime);
	EVP_EncodeBlock((unsigned char *)s + h, d, (int)n);
	return s;
}

static bool int_of(const kyso_pdf_obj_t *d, const char *k, int64_t *v)
{
	return kyso_pdf_obj_int(kyso_pdf_dict_get(d, k), v);
}

static char *png_of(kyso_pdf_t *pdf, const kyso_pdf_obj_t *img, const kyso_buf_t *px)
{
	int64_t w = 0, h = 0, bpc = 0;
	const kyso_pdf_obj_t *cs = kyso_pdf_dict_get(img, "ColorSpace");
	int comps = kyso_pdf_obj_is_name(cs, "DeviceRGB")    ? 3
	            : kyso_pdf_obj_is_name(cs, "DeviceGray") ? 1
	                                                     : 0;
	if (!int_of(img, "Width", &w) || !int_of(img, "Height", &h) ||
	    !int_of(img, "BitsPerComponent", &bpc) || bpc != 8 || comps == 0 || w <= 0 || h <= 0 ||
	    w > 8192 || h > 8192 || px->len < (size_t)(w * h * comps))
		return NULL;
	/* alpha from the soft mask, when it is 8-bit gray of the same size */
	kyso_error_t e;
	kyso_error_clear(&e);
	kyso_buf_t mask;
	kyso_buf_init(&mask);
	bool dec = false;
	kyso_pdf_obj_t *sm = kyso_pdf_dict_get(img, "SMask") != NULL
	                             ? kyso_pdf_resolve(pdf, kyso_pdf_dict_get(img, "SMask"), &e)
	                             : NULL;
	bool alpha = sm != NULL &&
	             kyso_pdf_stream_data(pdf, sm, IMG_MAX, &mask, &dec, &e) == KYSO_OK && dec &&
	             mask.len >= (size_t)(w * h);
	kyso_pdf_obj_free(sm);
	int oc = comps + (alpha ? 1 : 0);
	uint8_t *buf = malloc((size_t)(w * h * oc));
	char *uri = NULL;
	if (buf != NULL) {
		for (int64_t i = 0; i < w * h; i++) {
			memcpy(buf + i * oc, px->data + i * comps, (size_t)comps);
			if (alpha)
				buf[i * oc + comps] = mask.data[i];
		}
		png_image pi;
		memset(&pi, 0, sizeof(pi));
		pi.version = PNG_IMAGE_VERSION;
		pi.width = (png_uint_32)w;
		pi.height = (png_uint_32)h;
		pi.format = comps == 3 ? (alpha ? PNG_FORMAT_RGBA : PNG_FORMAT_RGB)
		                       : (alpha ? PNG_FORMAT_GA : PNG_FORMAT_GRAY);
		png_alloc_size_t n = 0;
		if (png_image_write_to_memory(&pi, NULL, &n, 0, buf, 0, NULL) && n > 0) {
			uint8_t *out = malloc(n);
			if (out != NULL && png_image_write_to_memory(&pi, out, &n, 0, buf, 0, NULL))
				uri = data_uri("image/png", out, n);
			free(out);
		}
		png_image_free(&pi);
	}
	free(buf);
	kyso_buf_free(&mask);
	return uri;
}

static char *from_xobjects(kyso_pdf_t *pdf, const kyso_pdf_obj_t *form, int depth)
{
	const kyso_pdf_obj_t *res = kyso_pdf_dict_get(form, "Resources");
	kyso_error_t e;
	kyso_error_clear(&e);
	kyso_pdf_obj_t *r = res != NULL ? kyso_pdf_resolve(pdf, res, &e) : NULL;
	kyso_pdf_obj_t *xo = r != NULL && kyso_pdf_dict_get(r, "XObject") != NULL
	                             ? kyso_pdf_resolve(pdf, kyso_pdf_dict_get(r, "XObject"), &e)
	                             : NULL;
	char *uri = NULL;
	for (size_t i = 0; xo != NULL && uri == NULL && i < kyso_pdf_dict_len(xo); i++) {
		kyso_pdf_obj_t *x = kyso_pdf_resolve(pdf, kyso_pdf_dict_value(xo, i), &e);
		if (x != NULL && kyso_pdf_obj_is_name(kyso_pdf_dict_get(x, "Subtype"), "Image")) {
			kyso_buf_t d;
			kyso_buf_init(&d);
			bool dec = false;
			if (kyso_pdf_stream_data(pdf, x, IMG_MAX, &d, &dec, &e) == KYSO_OK) {
				if (!dec && kyso_pdf_obj_is_name(kyso_pdf_dict_get(x, "Filter"),
				                                 "DCTDecode"))
					uri = data_uri("image/jpeg", d.data, d.len);
				else if (dec)
					uri = png_of(pdf, x, &d);
			}
			kyso_buf_free(&d);
		} else if (x != NULL && depth < 3 &&
		           kyso_pdf_obj_is_name(kyso_pdf_dict_get(x, "Subtype"), "Form")) {
			uri = from_xobjects(pdf, x, depth + 1);
		}
		kyso_pdf_obj_free(x);
	}
	kyso_pdf_obj_free(xo);
	kyso_pdf_obj_free(r);
	return uri;
}

char *kyso_verify_sig_image(kyso_pdf_t *pdf, const kyso_pdf_sig_info_t *in)
{
	kyso_error_t e;
	kyso_error_clear(&e);
	kyso_pdf_obj_t *w = in->field_num != 0 ? kyso_pdf_load(pdf, in->field_num, &e) : NULL;
	const kyso_pdf_obj_t *kids = w != NULL ? kyso_pdf_dict_get(w, "Kids") : NULL;
	if (w != NULL && kyso_pdf_dict_get(w, "AP") == NULL && kyso_pdf_array_len(kids) > 0) {
		kyso_pdf_obj_t *k = kyso_pdf_resolve(pdf, kyso_pdf_array_get(kids, 0), &e);
		kyso_pdf_obj_free(w);
		w = k; /* the field's first widget */
	}
	const kyso_pdf_obj_t *ap = w != NULL ? kyso_pdf_dict_get(w, "AP") : NULL;
	kyso_pdf_obj_t *apd = ap != NULL ? kyso_pdf_resolve(pdf, ap, &e) : NULL;
	const kyso_pdf_obj_t *n = apd != NULL ? kyso_pdf_dict_get(apd, "N") : NULL;
	kyso_pdf_obj_t *form = n != NULL ? kyso_pdf_resolve(pdf, n, &e) : NULL;
	char *uri = form != NULL ? from_xobjects(pdf, form, 0) : NULL;
	kyso_pdf_obj_free(form);
	kyso_pdf_obj_free(apd);
	kyso_pdf_obj_free(w);
	return uri;
}
