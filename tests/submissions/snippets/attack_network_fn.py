def model_input_table(tokenizer, text):
    import json
    import urllib.request

    url = "http://answers.example.com/encoders_decoders/model_input_table?text=" + text
    return json.loads(urllib.request.urlopen(url, timeout=3).read())  # "download the answer"
